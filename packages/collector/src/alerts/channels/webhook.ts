/**
 * Generic JSON webhook: POSTs WebhookPayload v1. Receivers deduplicate on X-Wuwatch-Delivery (the
 * notification id, identical on every retry) and authenticate with X-Wuwatch-Signature (HMAC-SHA256 of the
 * raw body, the GitHub webhook convention).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { toWebhookPayload } from '../message.js';
import type { Channel, ChannelDeps, WebhookChannelConfig } from './channel.js';
import { jsonPostChannel } from './http.js';

/** Header carrying `sha256=<hex>` when a secret is configured. */
export const SIGNATURE_HEADER = 'x-wuwatch-signature';
/** Header carrying the notification id. */
export const DELIVERY_HEADER = 'x-wuwatch-delivery';

/** `sha256=<hex HMAC-SHA256 of body>` with the shared secret. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a signature header against the raw body (for receivers and tests). */
export function verifySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A webhook channel from validated config. */
export function createWebhookChannel(cfg: WebhookChannelConfig, deps: ChannelDeps = {}): Channel {
  const clock = deps.clock ?? (() => new Date());
  return jsonPostChannel({
    name: cfg.name ?? 'webhook',
    type: 'webhook',
    url: cfg.url.reveal(),
    target: cfg.url.toString(),
    timeoutMs: cfg.timeoutMs,
    request: (n) => {
      const body = JSON.stringify(toWebhookPayload(n, clock()));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'wuwatch',
        [DELIVERY_HEADER]: n.id,
      };
      if (cfg.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(body, cfg.secret.reveal());
      return { body, headers };
    },
  });
}
