// Probe results are reported when they change, plus a periodic "still the same" mark (issue 16): the unit, and the
// agent's real spool after repeated probes of a real HTTP server standing in for WSUS.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeData } from '@wuwatch/core';
import { ProbeReporter } from '../src/probe/index.js';
import { SPOOL_DIR_NAME } from '../src/runtime/tail-cursor.js';
import { Spool } from '../src/spool/index.js';
import { cycles, makeSimDir, startSimAgent } from './helpers/sim.js';

const result = (over: Partial<ProbeData> = {}): ProbeData => ({
  url: 'http://wsus01:8530',
  class: 'http_status',
  ok: false,
  httpStatus: 503,
  failedStep: 'http',
  hresult: '0x801901F7',
  message: 'HTTP 503',
  steps: [{ step: 'http', ms: 12, ok: false }],
  ...over,
});

test('N identical results: the first is reported, then one mark per repeat interval; timings and message do not count', (t) => {
  const r = new ProbeReporter(6 * 3600_000);
  const reported: number[] = [];
  // A probe every 5 minutes for 24 hours.
  for (let at = 0; at < 24 * 3600_000; at += 300_000) {
    const probe = result({ message: `HTTP 503 after ${at} ms`, steps: [{ step: 'http', ms: at % 97, ok: false }] });
    if (r.due(probe, at)) {
      r.reported(probe, at);
      reported.push(at / 3600_000);
    }
  }
  t.deepEqual(reported, [0, 6, 12, 18], '288 probes → 1 event + 3 marks');
});

test('a change of class, ok, HTTP status, failed step, HRESULT or URL is reported at once', (t) => {
  const r = new ProbeReporter(6 * 3600_000);
  r.reported(result(), 0);
  const changes: Partial<ProbeData>[] = [
    { class: 'timeout', httpStatus: null },
    { ok: true, class: 'ok', httpStatus: 200, failedStep: null, hresult: null },
    { httpStatus: 500 },
    { failedStep: 'tls' },
    { hresult: '0x80072EE2' },
    { url: 'http://wsus02:8530' },
  ];
  for (const c of changes) t.true(r.due(result(c), 60_000), JSON.stringify(c));
  t.false(r.due(result(), 60_000));
  // Not recorded until reported: a result whose append failed is tried again at the next probe.
  t.true(r.due(result({ httpStatus: 500 }), 120_000));
});

async function wsus(status: { code: number }): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.statusCode = status.code;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}` };
}

test('the agent stores one probe event for repeated identical probes, a mark after the repeat interval, a change at once', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-agent-probe-dedup-'));
  const status = { code: 503 };
  const { server, url } = await wsus(status);
  try {
    const today = new Date().toISOString().slice(0, 10);
    const dir = await makeSimDir(root, 'srv-dedup', url, cycles(today, 0, 1, url, null));
    // Nobody listens on port 1: the events stay in the spool, where the test reads them.
    const agent = await startSimAgent(dir, 'http://127.0.0.1:1', { agentId: 'a-1', token: 'wwa_test' }, 'srv-dedup', {
      probeRepeatSeconds: 1.5,
    });
    const probes = async () => {
      const spool = await Spool.open({ dir: join(dir, 'state', SPOOL_DIR_NAME) });
      try {
        return (await spool.peek(0, 10_000, 64 << 20))
          .filter((e) => e.kind === 'probe')
          .map((e) => (e.data as ProbeData).httpStatus);
      } finally {
        await spool.close();
      }
    };
    for (let i = 0; i < 5; i++) await agent.pollNow();
    await agent.stop(100);
    t.deepEqual(await probes(), [503], '6 identical probes (start + 5 polls) → 1 event');

    // A restarted agent reports its first result again (the collector may have missed the last one).
    const again = await startSimAgent(dir, 'http://127.0.0.1:1', { agentId: 'a-1', token: 'wwa_test' }, 'srv-dedup', {
      probeRepeatSeconds: 1.5,
    });
    await again.pollNow();
    await new Promise((r) => setTimeout(r, 1600));
    await again.pollNow();
    await again.pollNow();
    status.code = 200;
    await again.pollNow();
    await again.pollNow();
    await again.stop(100);
    t.deepEqual(await probes(), [503, 503, 503, 200], 'restart, one mark after 1.5 s, the change at once');
  } finally {
    server.close();
    await rm(root, { recursive: true, force: true });
  }
});
