/**
 * Escaping for Slack mrkdwn (issue 14, finding 5): `&`, `<` and `>` are Slack's control characters (`<!channel>`
 * pings everyone, `<https://x|text>` is a link), and `@here`-style words are broken with a zero-width space so no
 * client or bridge turns them into mentions.
 */
import { showControlsInline } from './terminal.js';

/** Escapes agent-supplied text for a Slack mrkdwn (or plain `text`) field. */
export function escapeMrkdwn(s: string): string {
  return showControlsInline(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(here|channel|everyone)\b/gi, '@\u200B$1');
}
