// `wuwatch alerts`, `alerts ack`, `silence add|list|delete` and `notify-test` run in-process (main(argv, io)) against a
// collector on PostgreSQL with a real webhook sink; a silence added through the CLI really mutes delivery.
import test from 'ava';
import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import { startTestCollector, type TestCollector } from './helpers/collector.js';
import { detectionEvent } from './helpers/events.js';
import { connectAgent, eventClock, sleep, startWebhookSink, waitFor, type WebhookSink } from './helpers/alerts.js';

let tc: TestCollector;
let sink: WebhookSink;
test.before(async () => {
  sink = await startWebhookSink();
  tc = await startTestCollector({
    alerts: {
      debounceMs: 50,
      channels: [{ type: 'webhook', name: 'ops', url: sink.url }],
      delivery: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
});
test.after.always(async () => {
  await tc?.close();
  await sink?.close();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const capture = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    });
  const env = { WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken };
  const code = await main(args, { stdout: capture((s) => (out += s)), stderr: capture((s) => (err += s)), env });
  return { code, out, err };
}

const failThrice = () => {
  const clock = eventClock();
  return [1, 2, 3].map(() => (seq: number) => detectionEvent(seq, clock(), 'failed'));
};

test.serial('alerts lists the open alert; alerts ack records the acknowledgement', async (t) => {
  const m = await connectAgent(tc, tc.wsUrl, 'srv-cli-alert');
  await m.send(failThrice());
  await waitFor(() => sink.received.some((r) => r.body.alert.subject === `machine:${m.machineId}`), 'the alert');

  const listed = await cli(['alerts']);
  t.is(listed.code, 0, listed.err);
  const lines = listed.out.trimEnd().split('\n');
  t.regex(lines[0]!, /^STATE\s+SEVERITY\s+RULE\s+TITLE\s+SINCE\s+ACK\s+ID$/);
  const row = lines.find((l) => l.includes('srv-cli-alert'));
  t.regex(row!, /^firing\s+warning\s+detect_failures\s+Windows Update detection failing on srv-cli-alert\s/);
  const id = /\b(alr_[0-9a-f]{20})\s*$/.exec(row!)?.[1];
  t.truthy(id, row);

  const ack = await cli(['alerts', 'ack', id!, '--comment', 'replacing the WSUS server']);
  t.deepEqual(ack, { code: 0, out: `acknowledged ${id}\n`, err: '' });
  const json = JSON.parse((await cli(['alerts', '--json'])).out) as {
    id: string;
    acknowledged_at: string | null;
    ack_comment: string | null;
  }[];
  t.like(
    json.find((a) => a.id === id),
    { ack_comment: 'replacing the WSUS server' },
  );
  t.truthy(json.find((a) => a.id === id)?.acknowledged_at);
  t.regex(
    (await cli(['alerts'])).out.split('\n').find((l) => l.includes(id!))!,
    /\syes\s+alr_/,
  );
  t.is((await cli(['alerts', '--state', 'resolved'])).out.includes(id!), false);

  const missing = await cli(['alerts', 'ack', 'alr_does_not_exist']);
  t.is(missing.code, 1);
  t.regex(missing.err, /^wuwatch alerts: WUW_NOT_FOUND: /);
  const usage = await cli(['alerts', 'ack']);
  t.is(usage.code, 2);
  t.regex(usage.err, /usage: wuwatch alerts ack ID/);
  m.agent.close();
});

test.serial('silence add --machine mutes delivery but keeps the alert; list and delete manage it', async (t) => {
  const m = await connectAgent(tc, tc.wsUrl, 'srv-cli-silenced');
  const added = await cli(['silence', 'add', '--machine', m.machineId, '--for', '1h', '--comment', 'x']);
  t.is(added.code, 0, added.err);
  const silenceId = added.out.trim();
  t.regex(silenceId, /^sil_[A-Za-z0-9_-]+$/);

  const list = await cli(['silence', 'list']);
  t.is(list.code, 0);
  t.regex(list.out.split('\n')[0]!, /^ID\s+RULE\s+MACHINE\s+WSUS\s+UNTIL\s+COMMENT$/);
  const row = list.out.split('\n').find((l) => l.startsWith(silenceId));
  t.true(row!.includes(m.machineId));
  t.regex(row!, /\sx$/);
  const [silence] = (
    JSON.parse((await cli(['silence', 'list', '--json'])).out) as { id: string; machine_id: string; until: string }[]
  ).filter((s) => s.id === silenceId);
  const hour = new Date(silence!.until).getTime() - Date.now();
  t.true(hour > 3_500_000 && hour <= 3_600_000, `--for 1h gives until ≈ now + 1 h (${hour} ms)`);

  const before = sink.received.length;
  await m.send(failThrice());
  await waitFor(async () => {
    const { rows } = await tc.collector.db.query(`SELECT 1 FROM alerts WHERE subject = $1 AND state = 'firing'`, [
      `machine:${m.machineId}`,
    ]);
    return rows.length === 1;
  }, 'the silenced alert to be recorded');
  await sleep(500);
  t.is(sink.received.length, before, 'nothing delivered while silenced');
  t.true((await cli(['alerts'])).out.includes('srv-cli-silenced'), 'but the alert is listed');

  t.deepEqual(await cli(['silence', 'delete', silenceId]), { code: 0, out: `deleted ${silenceId}\n`, err: '' });
  t.false((await cli(['silence', 'list'])).out.includes(silenceId));
  // Once the silence is gone the still-firing alert is news again.
  await tc.collector.alerts!.evaluator.run();
  await waitFor(
    () => sink.received.some((r) => r.body.alert.subject === `machine:${m.machineId}`),
    'delivery after the silence',
  );
  const again = await cli(['silence', 'delete', silenceId]);
  t.is(again.code, 1);
  t.regex(again.err, /WUW_NOT_FOUND/);
  const noDuration = await cli(['silence', 'add', '--machine', m.machineId]);
  t.is(noDuration.code, 2);
  t.regex(noDuration.err, /--for 4h \| --until ISO/);
  const badDuration = await cli(['silence', 'add', '--machine', m.machineId, '--for', 'soon']);
  t.is(badDuration.code, 2);
  t.regex(badDuration.err, /--for takes a duration like 30m, 4h or 2d/);
  m.agent.close();
});

test.serial('notify-test sends a test message through the named channel', async (t) => {
  const before = sink.received.length;
  const r = await cli(['notify-test', 'ops']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^test notification delivered through ops \(http:\/\/127\.0\.0\.1:\d+\/…\)\n$/);
  t.is(sink.received.length, before + 1, 'sent synchronously, not through the outbox');
  const got = sink.received.at(-1)!;
  t.is(got.body.kind, 'test');
  t.regex(String(got.headers['x-wuwatch-delivery']), /^test-/);

  const unknown = await cli(['notify-test', 'pager']);
  t.is(unknown.code, 1);
  t.regex(unknown.err, /Alert channel "pager" \(configured: ops\)/);
  t.is((await cli(['notify-test'])).code, 2);
});
