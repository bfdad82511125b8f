// Terminal output (status table, alerts, progress), the webhook sink and the relay that silences an agent.
import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import { startRelay } from '../src/fleet/relay.js';
import { progressPrinter } from '../src/cli/progress.js';
import { formatAlert, formatCountsLine, formatStatusTable, missingStatuses } from '../src/report/format.js';
import { startWebhookSink } from '../src/report/webhook-sink.js';

const summary = {
  total: 5,
  byStatus: { healthy: 2, wsus_unreachable: 2, wsus_error: 0, silent: 1, unknown: 0 } as Record<string, number>,
};
const reason = (message: string) => [{ code: 'X', message }];

test('the status table lists every status with a bar, what is missing, and the unhealthy machines first reason', (t) => {
  const text = formatStatusTable({
    summary,
    problems: [
      { id: '1', hostname: 'gone-001', status: 'silent', wsus_url: null, status_reasons: reason('not heard from') },
      {
        id: '2',
        hostname: 'branch-002',
        status: 'wsus_unreachable',
        wsus_url: null,
        status_reasons: reason('The WSUS server answers HTTP 503 ' + 'x'.repeat(300)),
      },
      { id: '3', hostname: 'branch-001', status: 'wsus_unreachable', wsus_url: null, status_reasons: [] },
    ],
    expected: ['healthy', 'wsus_unreachable', 'silent', 'unknown'],
    maxRows: 2,
    width: 80,
  });
  const lines = text.split('\n');
  t.is(lines[0], 'Fleet status: 5 machines');
  t.regex(text, /^ {2}healthy +2 {2}#{30}$/m);
  t.regex(text, /^ {2}wsus_error +0 {2}$/m);
  t.regex(text, /Not seen yet: unknown\./);
  const rows = lines.slice(lines.indexOf('Machines that are not healthy (first reason):') + 1);
  t.regex(rows[0]!, /^ {2}branch-001 +wsus_unreachable/);
  t.regex(rows[1]!, /^ {2}branch-002 +wsus_unreachable +The WSUS server answers HTTP 503 x+…$/);
  t.is(rows[1]!.length, 80);
  t.is(rows[2], '  … and 1 more');
  t.deepEqual(missingStatuses(summary, ['healthy', 'unknown', 'wsus_error']), ['unknown', 'wsus_error']);
  t.is(formatCountsLine(summary), '5 machines: healthy 2, wsus_unreachable 2, silent 1');
});

test('alerts print as a headline and a summary; anything else as JSON', (t) => {
  const line = formatAlert({
    version: 1,
    kind: 'firing',
    alert: { rule: 'wsus_unreachable', severity: 'critical', title: 'WSUS down', summary: '2 machines' },
  });
  t.is(line, 'ALERT FIRING [critical] wsus_unreachable: WSUS down\n      2 machines\n');
  t.is(formatAlert({ hello: 1 }), 'ALERT {"hello":1}\n');
});

test('the webhook sink hands each POSTed JSON body to the callback and answers 204', async (t) => {
  const got: unknown[] = [];
  const sink = await startWebhookSink((p) => got.push(p));
  try {
    t.regex(sink.url, /^http:\/\/127\.0\.0\.1:\d+\/alerts$/);
    const res = await fetch(sink.url, { method: 'POST', body: JSON.stringify({ kind: 'firing' }) });
    t.is(res.status, 204);
    await fetch(sink.url, { method: 'POST', body: 'not json' });
    t.is((await fetch(sink.url)).status, 405);
    t.deepEqual(got, [{ kind: 'firing' }, 'not json']);
    t.is(sink.received, 2);
  } finally {
    await sink.close();
  }
});

test('the relay forwards to the collector until cut; then the connection drops and reconnects are refused', async (t) => {
  const upstream = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => void upstream.close());
  const relay = await startRelay(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  const { port } = new URL(relay.url);
  const { connect } = await import('node:net');
  const sock = connect(Number(port), '127.0.0.1');
  const echoed = await new Promise<string>((resolve) => {
    sock.once('data', (d) => resolve(d.toString()));
    sock.write('hello');
  });
  t.is(echoed, 'hello');
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  await relay.cut();
  await closed;
  const refused = await new Promise<string>((resolve) => {
    const s = connect(Number(port), '127.0.0.1');
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    s.once('connect', () => resolve('connected'));
  });
  t.is(refused, 'ECONNREFUSED');
  await relay.cut();
});

test('progress rewrites one line on a terminal and prints occasional lines otherwise', (t) => {
  let tty = '';
  const p = progressPrinter({ write: (s: string) => (tty += s), isTTY: true });
  p.update('1/2');
  p.line('event');
  p.update('2/2');
  p.done();
  t.is(tty, '\r1/2\x1b[K\r\x1b[Kevent\n1/2\r2/2\x1b[K\n');

  let plain = '';
  const q = progressPrinter({ write: (s: string) => (plain += s) });
  q.update('1/2');
  q.update('2/2');
  q.done();
  t.is(plain, '1/2\n2/2\n', 'the final state is always printed');
});
