/** Slack-compatible incoming webhook (also Mattermost, Rocket.Chat): `{text, blocks}` in simple mrkdwn. */
import { renderMessage } from '../message.js';
import type { Notification } from '../types.js';
import type { Channel, SlackChannelConfig } from './channel.js';
import { jsonPostChannel } from './http.js';
import { escapeMrkdwn } from '../../escaping/slack.js';

// Slack's limits: section text 3000 characters, 10 fields of 2000 characters each.
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_MAX = 10;
/** Long fields read better as their own section than squeezed into the two-column field grid. */
const WIDE_FIELDS = new Set(['Meaning', 'Fix']);

/** A Slack text object in mrkdwn. */
export interface SlackText {
  type: 'mrkdwn';
  text: string;
  /** true: Slack does not auto-link URLs or parse mentions in it. */
  verbatim: true;
}

/** The body posted to a Slack incoming webhook. */
export interface SlackBody {
  text: string;
  blocks: (
    | { type: 'section'; text: SlackText }
    | { type: 'section'; fields: SlackText[] }
    | { type: 'context'; elements: SlackText[] }
  )[];
}

export { escapeMrkdwn };

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function mrkdwn(text: string, max: number): SlackText {
  return { type: 'mrkdwn', text: clip(text, max), verbatim: true };
}

/** Builds the Slack body: a bold title with the summary, the facts as fields, wide sections, and a context line. */
export function slackBody(n: Notification): SlackBody {
  const msg = renderMessage(n);
  const narrow = msg.fields.filter((f) => !WIDE_FIELDS.has(f.label));
  const wide = msg.fields.filter((f) => WIDE_FIELDS.has(f.label));
  const blocks: SlackBody['blocks'] = [
    { type: 'section', text: mrkdwn(`*${escapeMrkdwn(msg.title)}*\n${escapeMrkdwn(msg.summary)}`, SECTION_MAX) },
  ];
  for (let i = 0; i < narrow.length; i += FIELDS_MAX) {
    const fields = narrow
      .slice(i, i + FIELDS_MAX)
      .map((f) => mrkdwn(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, FIELD_MAX));
    blocks.push({ type: 'section', fields });
  }
  for (const f of wide) {
    blocks.push({ type: 'section', text: mrkdwn(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, SECTION_MAX) });
  }
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`wuwatch · ${n.kind} · ${escapeMrkdwn(n.alert.rule)} · ${n.id}`, SECTION_MAX)],
  });
  // `text` is what notifications and clients without blocks show.
  return { text: clip(escapeMrkdwn(`${msg.title}: ${msg.summary}`), SECTION_MAX), blocks };
}

/** A Slack channel from validated config. */
export function createSlackChannel(cfg: SlackChannelConfig): Channel {
  return jsonPostChannel({
    name: cfg.name ?? 'slack',
    type: 'slack',
    url: cfg.url.reveal(),
    target: cfg.url.toString(),
    timeoutMs: cfg.timeoutMs,
    request: (n) => ({
      body: JSON.stringify(slackBody(n)),
      headers: { 'content-type': 'application/json', 'user-agent': 'wuwatch' },
    }),
  });
}
