// Issue 12: a disabled Windows Update Operational channel, as the running agent finds it through `wevtutil gl`,
// reaches the collector (protocol 2's `source_state`) and makes the machine misconfigured with the command that
// fixes it; policy, probe and heartbeats keep arriving. A protocol-1 collector is never sent the new kind.
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { encodeFrame, type WireEvent } from '@wuwatch/core';
import { startTestCollector, enrollAgent, api } from '../../collector/test/helpers/collector.js';
import { loadAgentConfig } from '../src/config/load.js';
import { writeCredentials } from '../src/enroll/credentials.js';
import { RecordingRunner, type RecordedCall } from '../src/platform/index.js';
import { Agent } from '../src/runtime/agent.js';
import { createSources, POLICY_QUERY_KEY } from '../src/sources/index.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { waitFor } from './helpers/sim.js';

const fixture = (name: string): Promise<Buffer> =>
  readFile(fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url)));

/** Windows as the agent's tools see it: reg, wevtutil (gl answers `channel.gl`), netsh, PowerShell, all captured. */
async function windows(wsusUrl: string) {
  const regWsus = (await fixture('regquery-wsus.txt'))
    .toString('utf8')
    .replaceAll('http://wsus-old.corp.example:8530', wsusUrl);
  const notFound = await fixture('regquery-not-found.stderr.txt');
  const disabled = await fixture('wevtutil/gl-operational-disabled.txt');
  const channel = {
    gl: disabled,
    enabled: Buffer.from(disabled.toString('utf8').replace('enabled: false', 'enabled: true')),
  };
  const empty = await fixture('wevtutil/empty.xml');
  const netsh = await fixture('netsh-direct.txt');
  const wua = await fixture('wua-script-output.txt');
  const isGl = (c: RecordedCall) => /wevtutil/i.test(c.file) && c.args[0] === 'gl';
  const runner = new RecordingRunner()
    .on((c) => /reg\.exe$/i.test(c.file) && c.args[1] === POLICY_QUERY_KEY, { stdout: regWsus })
    .on('reg.exe', { code: 1, stderr: notFound })
    .on(isGl, () => ({ stdout: channel.gl }))
    .on('wevtutil.exe', { stdout: empty })
    .on('netsh.exe', { stdout: netsh })
    .on('powershell.exe', { stdout: wua });
  return { runner, channel, glCalls: () => runner.calls.filter(isGl).length };
}

async function startAgent(
  root: string,
  collectorUrl: string,
  creds: { agentId: string; token: string },
  runner: RecordingRunner,
) {
  const stateDir = join(root, 'state');
  const credentials = { ...creds, collectorUrl };
  await writeCredentials(stateDir, credentials);
  const config = loadAgentConfig({
    env: {},
    overrides: {
      collectorUrl,
      stateDir,
      hostname: 'srv-channel-off',
      logLevel: 'silent',
      probeTimeouts: { dnsMs: 1000, tcpMs: 1000, tlsMs: 1000, httpMs: 1500 },
      reconnect: { baseMs: 100, capMs: 1000 },
    },
  });
  const sources = createSources({ platform: 'win32', runner, stateDir, env: { SystemRoot: 'C:\\Windows' } });
  // No WindowsUpdate.log: a 2016+ server, event mode, where the channel is the only view of detections.
  const agent = new Agent({
    config,
    credentials,
    sources,
    log: pino({ level: 'silent' }),
    logPath: join(root, 'no-WindowsUpdate.log'),
    logOffsetMinutes: 0,
  });
  await agent.start();
  return agent;
}

type Reason = { code: string; status: string; message: string; evidence: Record<string, unknown> };
type Detail = {
  id: string;
  status: string;
  status_reasons: Reason[];
  wsus_url: string | null;
  recentEvents: { kind: string; data: Record<string, unknown> }[];
};

test('a disabled Operational channel makes the machine misconfigured with the fix; enabling it clears that', async (t) => {
  const tc = await startTestCollector();
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-source-state-'));
  const wsus = await startWsusStandin('503');
  const win = await windows(wsus.url);
  let agent: Agent | null = null;
  try {
    const creds = await enrollAgent(tc, 'srv-channel-off');
    agent = await startAgent(root, tc.url, creds, win.runner);
    const detail = async (): Promise<Detail | undefined> => {
      const list = await api<{ items: { id: string }[] }>(tc, 'GET', '/v1/machines');
      const id = list.body.items[0]?.id;
      return id ? (await api<Detail>(tc, 'GET', `/v1/machines/${id}`)).body : undefined;
    };
    const off = await waitFor(async () => {
      const d = await detail();
      const codes = d?.status_reasons.map((r) => r.code) ?? [];
      return codes.includes('EVENT_CHANNEL_DISABLED') && codes.includes('PROBE_UNREACHABLE') ? d : undefined;
    });
    t.is(off.status, 'misconfigured');
    const why = off.status_reasons.find((r) => r.code === 'EVENT_CHANNEL_DISABLED')!;
    t.regex(why.message, /wevtutil sl Microsoft-Windows-WindowsUpdateClient\/Operational \/e:true/);
    t.regex(why.message, /detection failures cannot be seen/);
    // Policy and probe still arrive beside it: the WSUS URL is known and the 503 is a reason of its own.
    t.is(off.wsus_url, wsus.url);

    // Polled again and again, an unchanged state is not sent again.
    for (let i = 0; i < 3; i++) await agent.pollNow();
    t.true(win.glCalls() >= 4);
    t.true(await agent.drain(5000));
    const again = (await detail())!;
    t.is(again.recentEvents.filter((e) => e.kind === 'source_state').length, 1, 'sent on start, not per poll');

    // The administrator enables the channel: the change is sent once and the finding goes.
    win.channel.gl = win.channel.enabled;
    await agent.pollNow();
    const on = await waitFor(async () => {
      const d = await detail();
      return d && !d.status_reasons.some((r) => r.code === 'EVENT_CHANNEL_DISABLED') ? d : undefined;
    });
    t.is(on.status, 'wsus_unreachable');
    t.deepEqual(
      on.recentEvents
        .filter((e) => e.kind === 'source_state')
        .map((e) => e.data.state)
        .sort(),
      ['disabled', 'enabled'],
    );
  } finally {
    await agent?.stop(1000);
    await wsus.close();
    await tc.close();
    await rm(root, { recursive: true, force: true });
  }
});

// A collector of protocol 1 (before source_state): a WebSocket server on 127.0.0.1 that welcomes with protocol 1
// and keeps every event it is sent, as such a collector would store or quarantine it.
async function protocolOneCollector(protocol: number) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/agent' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const { port } = wss.address() as AddressInfo;
  const received: WireEvent[] = [];
  const hellos: { protocol: number; minProtocol?: number }[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString('utf8')) as { type: string; batchId?: number; events?: WireEvent[] };
      if (frame.type === 'hello') {
        hellos.push(frame as unknown as { protocol: number });
        ws.send(encodeFrame({ type: 'welcome', protocol, ackedSeq: 0 }));
      } else if (frame.type === 'batch') {
        const events = frame.events ?? [];
        received.push(...events);
        ws.send(encodeFrame({ type: 'ack', batchId: frame.batchId ?? 0, upTo: Math.max(...events.map((e) => e.seq)) }));
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    hellos,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

for (const protocol of [1, 2]) {
  test(`a collector that welcomes with protocol ${protocol} ${protocol === 1 ? 'is never sent' : 'is sent'} source_state`, async (t) => {
    const collector = await protocolOneCollector(protocol);
    const root = await mkdtemp(join(tmpdir(), 'wuwatch-source-state-v1-'));
    const wsus = await startWsusStandin('healthy');
    const win = await windows(wsus.url);
    let agent: Agent | null = null;
    try {
      agent = await startAgent(root, collector.url, { agentId: 'agent-v1', token: 't' }, win.runner);
      await agent.pollNow();
      // Everything the agent had to say is delivered: policy and probe, so the channel has been read too.
      await waitFor(() => (collector.received.some((e) => e.kind === 'probe') ? true : undefined));
      t.true(win.glCalls() >= 1);
      t.true(await agent.drain(5000));
      t.like(collector.hellos[0], { protocol: 2, minProtocol: 1 });
      const kinds = collector.received.map((e) => e.kind);
      t.true(kinds.includes('policy'));
      if (protocol === 1) t.false(kinds.includes('source_state'), kinds.join(','));
      else t.is(kinds.filter((k) => k === 'source_state').length, 1);
    } finally {
      await agent?.stop(1000);
      await wsus.close();
      await collector.close();
      await rm(root, { recursive: true, force: true });
    }
  });
}
