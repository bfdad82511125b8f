// The e-mail channel end to end: a real SMTP server (smtp-server) on 127.0.0.1 receives the alert the collector
// raised from agent events, next to a webhook channel; each channel gets its own outbox row and delivers once.
import test from 'ava';
import { startTestCollector } from './helpers/collector.js';
import { detectionEvent } from './helpers/events.js';
import { connectAgent, eventClock, sleep, startSmtpSink, startWebhookSink, waitFor } from './helpers/alerts.js';

test('three 0x80244022 failures reach the SMTP server as one mail naming the machine, the code and its meaning', async (t) => {
  const smtp = await startSmtpSink();
  const hook = await startWebhookSink();
  const tc = await startTestCollector({
    alerts: {
      debounceMs: 50,
      channels: [
        {
          type: 'email',
          name: 'mail',
          smtp: { host: '127.0.0.1', port: smtp.port, ignoreTLS: true, timeoutMs: 5000 },
          from: 'wuwatch@corp.example',
          to: ['ops@corp.example'],
        },
        { type: 'webhook', name: 'ops', url: hook.url },
      ],
      delivery: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  t.teardown(async () => {
    await tc.close();
    await smtp.close();
    await hook.close();
  });

  const m = await connectAgent(tc, tc.wsUrl, 'SRV-FILE-07');
  const clock = eventClock();
  await m.send([1, 2, 3].map(() => (seq: number) => detectionEvent(seq, clock(), 'failed', { hresult: '0x80244022' })));
  await waitFor(() => smtp.mails.length >= 1 && hook.received.length >= 1, 'the mail and the webhook');
  await sleep(500);
  t.is(smtp.mails.length, 1);
  t.is(hook.received.length, 1);

  const mail = smtp.mails[0]!;
  t.is(mail.from, 'wuwatch@corp.example');
  t.deepEqual(mail.to, ['ops@corp.example']);
  t.regex(mail.headers, /^Subject: \[wuwatch\] \[FIRING\] Windows Update detection failing on SRV-FILE-07$/m);
  t.true(mail.body.includes(`Machine: SRV-FILE-07 (${m.machineId})`), mail.body);
  t.true(mail.body.includes('Error: 0x80244022 (WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL)'));
  t.regex(mail.body, /Meaning: Same as HTTP status 503/);
  t.true(mail.body.includes('HTTP status: 503'));
  t.true(mail.body.includes('Failures in a row: 3'));
  t.regex(mail.body, /Fix:\n.*WsusPool application pool/);

  // One notification, two channels: the same id on both (receivers and mail systems deduplicate on it).
  const id = hook.received[0]!.headers['x-wuwatch-delivery'];
  t.regex(mail.headers, new RegExp(`^X-Wuwatch-Delivery: ${String(id)}$`, 'mi'));
  const { rows } = await tc.collector.db.query<{ id: string; channel: string; state: string; attempts: number }>(
    `SELECT id, channel, state, attempts FROM alert_notifications ORDER BY channel`,
  );
  t.deepEqual(rows, [
    { id: String(id), channel: 'mail', state: 'delivered', attempts: 1 },
    { id: String(id), channel: 'ops', state: 'delivered', attempts: 1 },
  ]);
  m.agent.close();
});
