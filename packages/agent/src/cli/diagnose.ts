/** `wuwatch-agent diagnose`: policy, WSUS probe and recent detections, turned into a verdict in plain words. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseLog, eventToFinding, assessPolicy, type UpdatePolicy, type ProbeData } from '@wuwatch/core';
import { createSources, readChannelState, type ChannelState } from '../sources/index.js';
import { processRunner, RecordingRunner } from '../platform/index.js';
import { probeWsus } from '../probe/index.js';
import { diagnose, formatDiagnosis, formatDiagnosisJson, type DiagnoseDetection } from '../diagnose/index.js';
import { detectMode } from '../tail/mode.js';
import { assertSimulateDir } from '../config/load.js';
import type { CliIo } from './io.js';

/** Reads everything `diagnose` needs from this host (or a --simulate directory) and prints the verdict. */
export async function diagnoseCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      simulate: { type: 'string' },
      json: { type: 'boolean', default: false },
      'log-path': { type: 'string' },
    },
    strict: true,
  });
  const simulate = values.simulate;
  if (simulate !== undefined) assertSimulateDir(simulate);
  const sources = createSources({
    platform: simulate ? 'simulate' : 'win32',
    ...(simulate ? { simulateDir: simulate } : {}),
    runner: simulate ? new RecordingRunner() : processRunner(),
    stateDir: simulate ? join(simulate, 'state') : join(io.env.ProgramData ?? 'C:\\ProgramData', 'wuwatch'),
  });
  let policy: UpdatePolicy | null = null;
  let policyError: string | null = null;
  try {
    policy = await sources.policy.read();
  } catch (err) {
    policyError = err instanceof Error ? err.message : String(err);
  }
  let probe: ProbeData | null = null;
  if (policy) {
    const a = assessPolicy(policy);
    if (a.source === 'wsus' && a.wsusUrl) {
      const proxy = await sources.proxy.read().catch(() => null);
      probe = await probeWsus(a.wsusUrl, {
        proxy,
        timeouts: { dnsMs: 5000, tcpMs: 10_000, tlsMs: 10_000, httpMs: 15_000 },
      });
    }
  }
  const detections: DiagnoseDetection[] = [];
  const logPath =
    values['log-path'] ??
    (simulate ? join(simulate, 'WindowsUpdate.log') : join(io.env.SystemRoot ?? 'C:\\Windows', 'WindowsUpdate.log'));
  // The same choice `run` makes: tail a legacy log, otherwise read the event channels. Reading both would report
  // detections from a converted or pasted log that the running agent never looks at.
  const mode = await detectMode(logPath);
  let eventChannel: ChannelState | null = null;
  if (mode.mode === 'log') {
    const log = await readFile(logPath).catch(() => null);
    if (log) for (const f of parseLog(log).findings) if (f.kind === 'detection') detections.push(f);
  } else {
    // On a real machine in event mode, a disabled channel (or no wevtutil) must be said, not read as "no events".
    eventChannel = simulate ? null : await readChannelState(processRunner(), { env: io.env }).catch(() => null);
    const poll = await sources.events.poll().catch(() => null);
    for (const ev of poll?.events ?? []) {
      const f = eventToFinding(ev);
      if (f?.kind === 'detection') detections.push(f);
    }
  }
  const wua = await sources.wua.read().catch(() => null);
  const result = diagnose({ policy, policyError, probe, detections, wua, now: new Date(), eventChannel });
  io.stdout.write((values.json ? formatDiagnosisJson(result) : formatDiagnosis(result)) + '\n');
  return result.exitCode;
}
