/**
 * Legacy WindowsUpdate.log text (Windows 7 / Server 2008 R2 layout, design notes §2), pure. Lines are
 * `date<TAB>time:ms<TAB>PID<TAB>TID<TAB>Component<TAB>Text` with CRLF; the simulator writes UTC and says so in the
 * `Logging initialized` banner (the agent reads simulated logs with a zero offset).
 */

/** ServiceID of a WSUS ("Managed") scan. */
export const WSUS_SERVICE_ID = '{3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}';
/** ServiceID of a Windows Update / Microsoft Update scan. */
export const WU_SERVICE_ID = '{9482F4B4-E343-43B6-B170-9A65BC822C77}';
const MU_URL = 'https://fe2.update.microsoft.com/v6/ClientWebService/client.asmx';
const CLIENT_VERSION = '7.6.7601.24436';
const PID = 884;

/** One detection cycle to write. */
export interface LegacyCycle {
  /** When the cycle starts; its END comes about two seconds later. */
  start: Date;
  /** WUServer from the policy (null: Microsoft Update or a policy without a server). */
  wsusUrl: string | null;
  /** UseWUServer = 1: the scan is a "Managed" (WSUS) one, even when the server is missing. */
  managed: boolean;
  /** The code the cycle ends with; null = success. */
  hresult: string | null;
  /** WinHTTP/BITS code of the failed self-update download (server faults), null otherwise. */
  transport: string | null;
  /** Updates found by a successful cycle. */
  updates: number;
  /** Thread id (hex, lower case) the cycle runs on. */
  tid: string;
}

/** Milliseconds from a cycle's START to its END line. */
export const CYCLE_DURATION_MS = 2_300;

function stamp(t: Date): [string, string] {
  const iso = t.toISOString();
  return [iso.slice(0, 10), `${iso.slice(11, 19)}:${iso.slice(20, 23)}`];
}

function line(t: Date, tid: string, component: string, text: string): string {
  const [day, time] = stamp(t);
  return `${day}\t${time}\t${String(PID).padStart(4, ' ')}\t${tid}\t${component}\t${text}`;
}

/** Service start and the settings snapshot Windows Update logs when the service starts. */
export function legacyBanner(at: Date, wsusUrl: string | null): string {
  const t = (ms: number) => new Date(at.getTime() + ms);
  const tid = 'a70';
  const server = wsusUrl ?? '<NULL>';
  return [
    line(t(0), tid, 'Misc', `===========  Logging initialized (build: ${CLIENT_VERSION}, tz: +0000)  ===========`),
    line(t(0), tid, 'Misc', '  = Process: C:\\Windows\\system32\\svchost.exe'),
    line(t(0), tid, 'Misc', '  = Module: c:\\windows\\system32\\wuaueng.dll'),
    line(t(1), tid, 'Service', '*************'),
    line(t(1), tid, 'Service', '** START **  Service: Service startup'),
    line(t(1), tid, 'Service', '*********'),
    line(t(90), tid, 'Agent', `  * WU client version ${CLIENT_VERSION}`),
    line(t(90), tid, 'Agent', '  * Base directory: C:\\Windows\\SoftwareDistribution'),
    line(t(90), tid, 'Agent', '  * Access type: No proxy'),
    line(t(90), tid, 'Agent', '  * Network state: Connected'),
    line(t(400), tid, 'Agent', '***********  Agent: Initializing global settings cache  ***********'),
    line(t(400), tid, 'Agent', `  * WSUS server: ${server}`),
    line(t(400), tid, 'Agent', `  * WSUS status server: ${server}`),
    line(t(400), tid, 'Agent', '  * Target group: (Unassigned Computers)'),
    line(t(400), tid, 'Agent', '  * Windows Update access disabled: No'),
    line(t(420), tid, 'AU', '###########  AU: Initializing Automatic Updates  ###########'),
  ]
    .map((l) => l + '\r\n')
    .join('');
}

/** One `Agent: Finding updates` cycle, succeeding or failing the way Windows Update logs it. */
export function legacyCycle(c: LegacyCycle): string {
  const t = (ms: number) => new Date(c.start.getTime() + ms);
  const l = (ms: number, component: string, text: string) => line(t(ms), c.tid, component, text);
  const managed = c.managed;
  const serviceId = managed ? WSUS_SERVICE_ID : WU_SERVICE_ID;
  const out = [
    l(0, 'Agent', '*************'),
    l(0, 'Agent', '** START **  Agent: Finding updates [CallerId = AutomaticUpdates]'),
    l(0, 'Agent', '*********'),
    l(1, 'Agent', '  * Online = Yes; Ignore download priority = No'),
    l(1, 'Agent', `  * ServiceID = ${serviceId} ${managed ? 'Managed' : 'Windows Update'}`),
    l(1, 'Agent', '  * Search Scope = {Machine}'),
    l(2, 'Setup', 'Checking for agent SelfUpdate'),
    l(3, 'Setup', `Client version: Core: ${CLIENT_VERSION}  Aux: ${CLIENT_VERSION}`),
  ];
  if (c.hresult !== null && c.transport !== null) {
    // A dead or broken server: the self-update check cannot fetch wuident.cab and the scan is skipped.
    const cab = `${c.wsusUrl ?? ''}/selfupdate/wuident.cab`;
    const transport = c.transport.toLowerCase();
    out.push(
      l(900, 'Misc', `WARNING: WinHttp: SendRequestToServerForFileInformation failed with ${transport}`),
      l(901, 'Misc', `WARNING: WinHttp: ShouldFileBeDownloaded failed with ${transport}`),
      l(902, 'Misc', `WARNING: DownloadFileInternal failed for ${cab}: error ${transport}`),
      l(903, 'Setup', `WARNING: SelfUpdate check failed to download package information, error = ${c.hresult}`),
      l(904, 'Setup', `FATAL: SelfUpdate check failed, err = ${c.hresult}`),
      l(905, 'Agent', `  * WARNING: Skipping scan, self-update check returned ${c.hresult}`),
      l(906, 'Agent', `  * WARNING: Exit code = ${c.hresult}`),
    );
  } else if (c.hresult !== null) {
    // A local fault (or no server configured): the self-update check passes, the search itself fails.
    out.push(
      l(300, 'Setup', 'SelfUpdate check completed.  SelfUpdate is NOT required.'),
      l(2000, 'Agent', `  * WARNING: Failed to synchronize, error = ${c.hresult}`),
      l(2001, 'Agent', `  * WARNING: Exit code = ${c.hresult}`),
    );
  } else {
    const url = managed && c.wsusUrl ? `${c.wsusUrl}/ClientWebService/client.asmx` : MU_URL;
    out.push(
      l(300, 'Setup', 'SelfUpdate check completed.  SelfUpdate is NOT required.'),
      l(500, 'PT', '+++++++++++  PT: Synchronizing server updates  +++++++++++'),
      l(501, 'PT', `  + ServiceId = ${serviceId}, Server URL = ${url}`),
      l(
        2000,
        'Agent',
        `  * Found ${c.updates} updates and 13 categories in search; evaluated appl. rules of 612 out of 1188 deployed entities`,
      ),
    );
  }
  out.push(
    l(CYCLE_DURATION_MS, 'Agent', '*********'),
    l(CYCLE_DURATION_MS, 'Agent', '**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]'),
    l(CYCLE_DURATION_MS, 'Agent', '*************'),
  );
  return out.map((x) => x + '\r\n').join('');
}
