/**
 * The channel contract and the channel configuration schemas. Channels hold their secrets in closures and
 * expose only a redacted `target`, so logging a channel (or its errors) never leaks a secret.
 */
import { makeError, type WuwatchError } from '@wuwatch/core';
import * as z from 'zod';
import type { Notification } from '../types.js';
import { redactUrl, secret, secretUrl } from '../../config/secret.js';

export { redactUrl };

/** Something that delivers notifications; `send` rejects with a WUW_ALERT_DELIVERY error saying why. */
export interface Channel {
  readonly name: string;
  readonly type: ChannelConfig['type'];
  /** Where it delivers, without secrets (`https://hooks.slack.com/…`, `smtp://mail.example:587`). */
  readonly target: string;
  send(n: Notification): Promise<void>;
  /** Releases connections (SMTP); safe to call more than once. */
  close(): Promise<void>;
}

/** Edges a channel may need, injectable for tests. */
export interface ChannelDeps {
  clock?: () => Date;
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const name = z.string().min(1).max(64).optional();
const timeoutMs = z.number().int().positive().max(120_000).default(10_000);

/** A generic JSON webhook (body: WebhookPayload v1), optionally HMAC-signed. */
export const WebhookChannelConfig = z
  .object({
    type: z.literal('webhook'),
    name,
    url: secretUrl(httpUrl),
    /** HMAC-SHA256 key for X-Wuwatch-Signature; short keys make the signature guessable. */
    secret: secret(z.string().min(16, 'secret must be at least 16 characters')).optional(),
    timeoutMs,
  })
  .strict();

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat). */
export const SlackChannelConfig = z
  .object({ type: z.literal('slack'), name, url: secretUrl(httpUrl), timeoutMs })
  .strict();

/** E-mail through an SMTP server. */
export const EmailChannelConfig = z
  .object({
    type: z.literal('email'),
    name,
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** Implicit TLS (port 465); otherwise STARTTLS is used when the server offers it. */
        secure: z.boolean().default(false),
        user: z.string().min(1).optional(),
        pass: secret(z.string().min(1)).optional(),
        /** Never upgrade with STARTTLS (plain-text relays on a trusted network only). */
        ignoreTLS: z.boolean().default(false),
        /** Refuse to send unless STARTTLS succeeds. */
        requireTLS: z.boolean().default(false),
        timeoutMs,
      })
      .strict()
      .refine((s) => (s.user === undefined) === (s.pass === undefined), {
        message: 'smtp.user and smtp.pass go together',
      }),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    subjectPrefix: z.string().max(40).default('[wuwatch]'),
  })
  .strict();

/** Where people see the collector (its dashboard), for Alertmanager's externalURL and generatorURL. */
const externalUrl = httpUrl.optional();

/** A receiver that understands Alertmanager's webhook message (version 4). */
export const AlertmanagerWebhookChannelConfig = z
  .object({ type: z.literal('alertmanager-webhook'), name, url: secretUrl(httpUrl), externalUrl, timeoutMs })
  .strict();

/** An Alertmanager to push alerts to (`url` is its base URL; wuwatch posts to `<url>/api/v2/alerts`). */
export const AlertmanagerChannelConfig = z
  .object({
    type: z.literal('alertmanager'),
    name,
    url: secretUrl(httpUrl),
    externalUrl,
    /**
     * How long a firing alert stays active in Alertmanager without being renewed; keep it above
     * alerts.rules.repeatIntervalMinutes (each repeat renews it), or Alertmanager resolves it in between.
     */
    ttlMinutes: z.number().int().positive().max(10_080).default(300),
    timeoutMs,
  })
  .strict();

/** Any channel's configuration, told apart by `type`. */
export const ChannelConfig = z.discriminatedUnion('type', [
  WebhookChannelConfig,
  SlackChannelConfig,
  EmailChannelConfig,
  AlertmanagerWebhookChannelConfig,
  AlertmanagerChannelConfig,
]);

export type ChannelConfig = z.infer<typeof ChannelConfig>;
export type WebhookChannelConfig = z.infer<typeof WebhookChannelConfig>;
export type SlackChannelConfig = z.infer<typeof SlackChannelConfig>;
export type EmailChannelConfig = z.infer<typeof EmailChannelConfig>;
export type AlertmanagerWebhookChannelConfig = z.infer<typeof AlertmanagerWebhookChannelConfig>;
export type AlertmanagerChannelConfig = z.infer<typeof AlertmanagerChannelConfig>;

/** Why a delivery failed, for the catalogued error's details and the retry decision. */
export interface DeliveryFailure {
  reason: string;
  retryable: boolean;
  status?: number;
  code?: string;
}

/** The catalogued delivery error for a channel. */
export function deliveryError(
  channel: Pick<Channel, 'name' | 'type' | 'target'>,
  failure: DeliveryFailure,
  cause?: unknown,
): WuwatchError {
  const details: Record<string, unknown> = {
    channel: channel.name,
    type: channel.type,
    target: channel.target,
    retryable: failure.retryable,
  };
  if (failure.status !== undefined) details.status = failure.status;
  if (failure.code !== undefined) details.code = failure.code;
  return makeError('ALERT_DELIVERY', [`${channel.type} channel "${channel.name}"`, failure.reason], details, cause);
}
