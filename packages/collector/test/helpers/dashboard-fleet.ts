// A small real fleet for the dashboard's browser test and its README screenshot: WSUS stand-ins on 127.0.0.1 and
// real agents in --simulate mode (as in packages/agent/test/e2e-agent.test.ts), each with a policy export and a
// legacy WindowsUpdate.log whose detection cycles fail or succeed as its WSUS server dictates.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cycle, makeSimDir, startSimAgent } from '../../../agent/test/helpers/sim.js';
import { startWsusStandin, type StandinMode, type WsusStandin } from '../../../agent/test/helpers/wsus-standin.js';
import type { Agent } from '../../../agent/src/runtime/agent.js';
import { enrollAgent } from './collector.js';

/** One simulated Windows server. */
export interface SimMachine {
  hostname: string;
  /** The stand-in its policy points at; `unset`: UseWUServer=1 without WUServer; `microsoft`: no WSUS policy. */
  server: StandinMode | 'unset' | 'microsoft';
  /** HRESULT its detection cycles fail with, or null when they succeed. */
  hresult: string | null;
  /** Detection cycles in its log (default 3; 0 for an empty log). */
  cycles?: number;
  /** Minutes between the last cycle and now (default 0). */
  lastCycleMinutesAgo?: number;
}

/** A running fleet. */
export interface SimFleet {
  agents: Map<string, Agent>;
  /** The URL each stand-in mode answers on. */
  urls: Map<StandinMode, string>;
  close(): Promise<void>;
}

const UNSET_POLICY = [
  'Windows Registry Editor Version 5.00',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU]',
  '"UseWUServer"=dword:00000001',
  '',
].join('\r\n');

const MICROSOFT_POLICY = [
  'Windows Registry Editor Version 5.00',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU]',
  '"NoAutoUpdate"=dword:00000000',
  '',
].join('\r\n');

/** The machine's log: `cycles` one-minute-apart detection cycles ending `lastCycleMinutesAgo` minutes before now. */
function logFor(m: SimMachine, wsus: string, now: Date): string {
  const n = m.cycles ?? 3;
  let text = '';
  for (let i = n - 1; i >= 0; i--) {
    const at = new Date(now.getTime() - ((m.lastCycleMinutesAgo ?? 0) + i + 1) * 60_000);
    const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
    text += cycle(at.toISOString().slice(0, 10), minute, wsus, m.hresult);
  }
  return text;
}

/** Starts one stand-in per mode used, enrolls every machine with the collector and starts its agent. */
export async function startSimFleet(
  tc: { url: string; adminToken: string },
  machines: readonly SimMachine[],
): Promise<SimFleet> {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-dashboard-'));
  const standins = new Map<StandinMode, WsusStandin>();
  const agents = new Map<string, Agent>();
  const close = async () => {
    await Promise.all([...agents.values()].map((a) => a.stop(1000)));
    await Promise.all([...standins.values()].map((s) => s.close()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const m of machines) {
      if (m.server !== 'unset' && m.server !== 'microsoft' && !standins.has(m.server)) {
        standins.set(m.server, await startWsusStandin(m.server));
      }
    }
    const now = new Date();
    for (const [i, m] of machines.entries()) {
      const url = m.server === 'unset' || m.server === 'microsoft' ? '' : standins.get(m.server)!.url;
      const dir = await makeSimDir(root, `m${i}`, url, logFor(m, url, now));
      if (m.server === 'unset') await writeFile(join(dir, 'policy.reg'), UNSET_POLICY);
      if (m.server === 'microsoft') await writeFile(join(dir, 'policy.reg'), MICROSOFT_POLICY);
      const creds = await enrollAgent(tc, m.hostname);
      agents.set(m.hostname, await startSimAgent(dir, tc.url, creds, m.hostname));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { agents, urls: new Map([...standins].map(([mode, s]) => [mode, s.url])), close };
}
