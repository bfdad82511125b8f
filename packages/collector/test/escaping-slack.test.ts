// Issue 14, finding 5: a hostname `<!channel>` pinged the whole Slack channel and links could be injected. A real
// HTTP receiver gets what the Slack and webhook channels post for a machine with a hostile hostname.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { createChannel } from '../src/alerts/channels/index.js';
import { escapeMrkdwn } from '../src/escaping/slack.js';
import { HOSTILE_HOSTNAME, hostileNotification } from './helpers/hostile.js';

async function receiver(): Promise<{ url: string; bodies: string[]; close(): void }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => server.close() };
}

test('escapeMrkdwn: control characters, mentions and links become text', (t) => {
  t.is(escapeMrkdwn('<!channel> & <https://x|y>'), '&lt;!channel&gt; &amp; &lt;https://x|y&gt;');
  t.is(escapeMrkdwn('hi @here and @Channel'), 'hi @\u200Bhere and @\u200BChannel');
  t.is(escapeMrkdwn('a\u001b[31mb\nc'), 'a\\u001b[31mb\\u000ac');
});

test('Slack: a hostile hostname reaches the channel as text, with no mention, link or control code', async (t) => {
  const r = await receiver();
  t.teardown(r.close);
  await createChannel({ type: 'slack', url: `${r.url}/services/T/B/X` }).send(hostileNotification());
  const body = JSON.parse(r.bodies[0]!) as { text: string; blocks: { text?: { text: string; verbatim: boolean } }[] };
  const texts = [body.text, ...JSON.stringify(body.blocks).match(/"text":"[^"]*"/g)!];
  for (const text of texts) {
    t.false(/<!|<https?:|<@/.test(text), `no Slack control sequence in ${text}`);
    t.false(/@(here|channel)\b/.test(text), `no mention in ${text}`);
  }
  t.true(body.text.includes('&lt;!channel&gt;'));
  const strings: string[] = [];
  JSON.parse(r.bodies[0]!, (_k, v: unknown) => (typeof v === 'string' && strings.push(v), v));
  t.false(
    // eslint-disable-next-line no-control-regex -- looking for control codes is the point
    strings.some((x) => /[\u0000-\u001f\u202e]/.test(x.replace(/\n/g, ''))),
    'control codes are shown as text, not sent raw',
  );
  t.true(body.text.includes('\\u001b]0;pwned'));
  for (const b of body.blocks) if (b.text) t.true(b.text.verbatim, 'Slack does not auto-parse the text');
});

test('webhook: the hostile hostname is JSON data, exactly as reported', async (t) => {
  const r = await receiver();
  t.teardown(r.close);
  await createChannel({ type: 'webhook', url: `${r.url}/hook` }).send(hostileNotification());
  const body = JSON.parse(r.bodies[0]!) as { alert: { machines: { hostname: string }[] } };
  t.is(body.alert.machines[0]!.hostname, HOSTILE_HOSTNAME, 'receivers get the data, not a rendering of it');
  t.false(r.bodies[0]!.includes('\u001b'), 'no raw control code in the JSON text');
});
