/** Channel factory: validates a channel config and builds the matching channel. */
import { makeError } from '@wuwatch/core';
import { ChannelConfig, type Channel, type ChannelDeps } from './channel.js';
import { createEmailChannel } from './email.js';
import { createAlertmanagerChannel, createAlertmanagerWebhookChannel } from './alertmanager.js';
import { createSlackChannel } from './slack.js';
import { createWebhookChannel } from './webhook.js';

export type { Channel, ChannelDeps, DeliveryFailure } from './channel.js';
export {
  AlertmanagerChannelConfig,
  AlertmanagerWebhookChannelConfig,
  ChannelConfig,
  EmailChannelConfig,
  SlackChannelConfig,
  WebhookChannelConfig,
  redactUrl,
} from './channel.js';
export { DELIVERY_HEADER, SIGNATURE_HEADER, signBody, verifySignature } from './webhook.js';
export { slackBody } from './slack.js';
export { alertmanagerWebhookMessage, postableAlerts, fingerprint, ZERO_TIME } from './alertmanager.js';
export type { AlertmanagerWebhookMessage, PostableAlert } from './alertmanager.js';

/** Builds a channel from config (validated here); invalid config throws WUW_CONFIG_INVALID naming the field, never its value. */
export function createChannel(config: unknown, deps: ChannelDeps = {}): Channel {
  const parsed = ChannelConfig.safeParse(config);
  if (!parsed.success) {
    // Issue messages and paths only: zod does not echo input values, so secrets stay out of the error.
    const what = parsed.error.issues.map((i) => `alert channel ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw makeError('CONFIG_INVALID', [what.join('; ')]);
  }
  const cfg = parsed.data;
  switch (cfg.type) {
    case 'webhook':
      return createWebhookChannel(cfg, deps);
    case 'slack':
      return createSlackChannel(cfg);
    case 'email':
      return createEmailChannel(cfg);
    case 'alertmanager-webhook':
      return createAlertmanagerWebhookChannel(cfg);
    case 'alertmanager':
      return createAlertmanagerChannel(cfg, deps);
  }
}
export { instrumentChannel, type DeliveryObserver } from './instrumented.js';
