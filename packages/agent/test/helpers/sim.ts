// Simulated Windows servers for agent tests: a folder with policy.reg and a legacy WindowsUpdate.log.
import { mkdir, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadAgentConfig } from '../../src/config/load.js';
import { writeCredentials, type Credentials } from '../../src/enroll/credentials.js';
import { createSources } from '../../src/sources/index.js';
import { RecordingRunner } from '../../src/platform/index.js';
import { Agent } from '../../src/runtime/agent.js';

/** A regedit export pointing Windows Update at `wsus` (UseWUServer=1). */
export function policyReg(wsus: string): string {
  return [
    'Windows Registry Editor Version 5.00',
    '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]',
    `"WUServer"="${wsus}"`,
    `"WUStatusServer"="${wsus}"`,
    '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU]',
    '"UseWUServer"=dword:00000001',
    '',
  ].join('\r\n');
}

/** One legacy detection cycle `n` minutes after midnight UTC of `day`, failing with `hresult` or succeeding. */
export function cycle(day: string, n: number, wsus: string, hresult: string | null): string {
  const at = new Date(Date.parse(`${day}T00:00:00Z`) + n * 60_000).toISOString();
  const d = at.slice(0, 10);
  const hhmm = at.slice(11, 16);
  const l = (s: string, comp: string, text: string) => `${d}\t${hhmm}:${s}\t 884\ta70\t${comp}\t${text}`;
  const lines = [
    l('00:000', 'Agent', '** START **  Agent: Finding updates [CallerId = AutomaticUpdates]'),
    l('00:001', 'Agent', '  * ServiceID = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7} Managed'),
    l(
      '00:002',
      'PT',
      `  + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = ${wsus}/ClientWebService/client.asmx`,
    ),
  ];
  if (hresult) {
    lines.push(
      l(
        '01:000',
        'PT',
        `WARNING: GetConfig failure, error = ${hresult}, soap client error = 10, soap error code = 0, HTTP status code = 503`,
      ),
    );
    lines.push(l('01:001', 'Agent', `  * WARNING: Exit code = ${hresult}`));
  } else {
    lines.push(
      l(
        '01:000',
        'Agent',
        '  * Found 0 updates and 0 categories in search; evaluated appl. rules of 0 out of 0 deployed entities',
      ),
    );
  }
  lines.push(l('01:002', 'Agent', '**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]'));
  return lines.join('\r\n') + '\r\n';
}

/** Cycles `from`..`to` (minutes) as one string. */
export function cycles(day: string, from: number, to: number, wsus: string, hresult: string | null): string {
  let s = '';
  for (let n = from; n <= to; n++) s += cycle(day, n, wsus, hresult);
  return s;
}

/** Creates a simulate dir with a policy and an initial log. */
export async function makeSimDir(root: string, name: string, wsus: string, log: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'policy.reg'), policyReg(wsus));
  await writeFile(join(dir, 'WindowsUpdate.log'), log);
  return dir;
}

/** Appends to a simulated server's log. */
export function appendLog(dir: string, text: string): Promise<void> {
  return appendFile(join(dir, 'WindowsUpdate.log'), text);
}

/** Starts an in-process agent on a simulate dir with fast intervals. */
export async function startSimAgent(
  dir: string,
  collectorUrl: string,
  creds: Omit<Credentials, 'collectorUrl'>,
  hostname: string,
  intervals: Record<string, number> = {},
): Promise<Agent> {
  const stateDir = join(dir, 'state');
  const credentials = { ...creds, collectorUrl };
  await writeCredentials(stateDir, credentials);
  const config = loadAgentConfig({
    env: {},
    overrides: {
      collectorUrl,
      stateDir,
      simulateDir: dir,
      hostname,
      logLevel: 'silent',
      intervals: {
        tailMs: 100,
        policySeconds: 60,
        probeSeconds: 60,
        probeMaxBackoffSeconds: 60,
        wuaSeconds: 60,
        eventSeconds: 60,
        ...intervals,
      },
      probeTimeouts: { dnsMs: 1000, tcpMs: 1000, tlsMs: 1000, httpMs: 1500 },
      reconnect: { baseMs: 100, capMs: 1000 },
    },
  });
  const sources = createSources({ platform: 'simulate', simulateDir: dir, runner: new RecordingRunner(), stateDir });
  const agent = new Agent({
    config,
    credentials,
    sources,
    log: pino({ level: 'silent' }),
    logPath: join(dir, 'WindowsUpdate.log'),
    logOffsetMinutes: 0,
  });
  await agent.start();
  return agent;
}

/** Polls `fn` until it returns a value other than undefined. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
