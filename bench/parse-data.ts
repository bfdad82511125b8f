/**
 * Synthetic WindowsUpdate.log text for bench/parse.ts: realistic legacy (TAB) and modern (Get-WindowsUpdateLog) lines
 * with detection cycles (a third failing, with the network lines a dead WSUS server causes), settings blocks,
 * warnings, very long lines, a few non-ASCII (UTF-8) and ANSI (Windows-1252) lines, CRLF line ends. Deterministic.
 */
let seed = 0x2545f491;
/** xorshift32: deterministic, so every run of the benchmark parses the same text. */
function rand(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
const pick = <T>(items: readonly T[]): T => items[rand(items.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[rand(16)]).join('');
const guid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`.toUpperCase();

const WSUS = [
  'http://wsus01.corp.example:8530',
  'https://wsus02.corp.example:8531',
  'http://wsus-old.corp.example:8530',
];
const CODES = ['8024402c', '80072ee2', '80244022', '8024401c', '80072efd'];
const CRITERIA =
  "IsInstalled=0 and DeploymentAction='Installation' or IsPresent=1 and DeploymentAction='Uninstallation' or " +
  "IsInstalled=1 and DeploymentAction='Installation' and RebootRequired=1 or IsInstalled=0 and " +
  "DeploymentAction='Uninstallation' and RebootRequired=1";

type Msg = [component: string, text: string];

/** Ordinary chatter between cycles. */
function chatter(modern: boolean): Msg {
  switch (rand(12)) {
    case 0:
      return ['Report', 'CWERReporter finishing event handling. (00000000)'];
    case 1:
      return ['AU', 'Successfully wrote event for AU health state:0'];
    case 2:
      return ['DnldMgr', `Download manager restoring ${rand(4)} downloads`];
    case 3:
      return [
        modern ? 'DownloadManager' : 'DnldMgr',
        `PurgeContentForPatchUpdate::Deleting update content at C:\\WINDOWS\\SoftwareDistribution\\Download\\${hex(32)}.`,
      ];
    case 4:
      return ['Misc', `Validating signature for C:\\Windows\\SoftwareDistribution\\Download\\${hex(32)}\\update.cab:`];
    case 5:
      return [
        'SLS',
        `Making request with URL HTTPS://sls.update.microsoft.com/SLS/{${guid()}}/x64/10.0.17763.1879/0?CH=602&L=en-US&P=&PT=0x4&WUA=10.0.17763.1852&MK=VMware%2C+Inc.&MD=VMware7%2C1 and send SLS events.`,
      ];
    case 6:
      return ['Handler', `  : Updates to install = ${rand(5)}`];
    case 7:
      return ['AU', `AU setting next detection timeout to 2024-03-0${1 + rand(9)} 0${rand(10)}:12:52`];
    case 8:
      return ['IdleTimer', 'WU operation (CDiscoveryCall::Init ID 1) started; operation # 3; does use network'];
    case 9:
      return [
        'Misc',
        `WARNING: Digital Signatures on file C:\\Windows\\SoftwareDistribution\\${hex(8)}.cab are not trusted`,
      ];
    case 10:
      // Now and then a very long line (dumped update lists run to several KB).
      return [
        'Agent',
        rand(20) === 0
          ? `  * Updates = ${Array.from({ length: 40 + rand(120) }, guid).join(', ')}`
          : '  * Network state: Connected',
      ];
    default:
      return [
        'Shared',
        rand(50) === 0 ? 'Base directory: C:\\Users\\André\\SoftwareDistribution' : 'Power status changed',
      ];
  }
}

function settingsBlock(modern: boolean, out: Msg[]): void {
  const p = modern ? '' : '  * ';
  const server = pick(WSUS);
  const suffix = modern && rand(2) === 0 ? ' (Unchanged)' : '';
  out.push([
    'Agent',
    modern ? 'Refreshing global settings cache' : '***********  Agent: Initializing global settings cache  ***********',
  ]);
  out.push(['Agent', `${p}WSUS server: ${server}${suffix}`]);
  out.push(['Agent', `${p}WSUS status server: ${server}${suffix}`]);
  if (modern) out.push(['Agent', `Alternate Download Server: (null)${suffix}`]);
  out.push(['Agent', `${p}Target group: Servers-Prod${suffix}`]);
  out.push(['Agent', `${p}Windows Update access disabled: No${suffix}`]);
}

function cycle(modern: boolean, id: number, out: Msg[]): void {
  const fail = rand(3) === 0;
  const code = pick(CODES);
  const server = pick(WSUS);
  const p = modern ? '' : '  * ';
  if (!modern) {
    out.push(['AU', '#############'], ['AU', '## START ##  AU: Search for updates'], ['AU', '#########']);
    out.push(['Agent', '*************']);
  }
  if (modern)
    out.push([
      'Agent',
      `* START * Finding updates CallerId = UpdateOrchestrator  Id = ${id} (cV = ${hex(16)}.1.0.0.0)`,
    ]);
  else out.push(['Agent', '** START **  Agent: Finding updates [CallerId = AutomaticUpdates]']);
  if (!modern) out.push(['Agent', '*********']);
  out.push(['Agent', `${p}Online = Yes; Ignore download priority = No`]);
  out.push(['Agent', `${p}Criteria = "${CRITERIA}"`]);
  out.push(['Agent', `${p}ServiceID = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7} Managed`]);
  out.push(['Agent', `${p}Search Scope = {Machine}`]);
  out.push(['Setup', 'Checking for agent SelfUpdate']);
  out.push(['Setup', 'SelfUpdate check completed.  SelfUpdate is NOT required.']);
  out.push([modern ? 'ProtocolTalker' : 'PT', '+++++++++++  PT: Synchronizing server updates  +++++++++++']);
  out.push([
    modern ? 'ProtocolTalker' : 'PT',
    `${modern ? '' : '  + '}ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = ${server}/ClientWebService/client.asmx`,
  ]);
  for (let i = rand(6); i > 0; i--) out.push(chatter(modern));
  if (fail) {
    if (modern) {
      out.push([
        'WebServices',
        `WS error: There was an error communicating with the endpoint at '${server}/ClientWebService/client.asmx'.`,
      ]);
      out.push(['WebServices', 'WS error: The operation timed out']);
      out.push(['WebServices', `Web service call failed with hr = ${code}.`]);
      out.push(['ProtocolTalker', `*FAILED* [${code.toUpperCase()}] Sync of Updates`]);
      out.push([
        'Agent',
        `* END * Finding updates CallerId = UpdateOrchestrator, Id = ${id}, Exit code = 0x${code.toUpperCase()} (cV = ${hex(16)}.1.0.0.0)`,
      ]);
    } else {
      out.push([
        'Misc',
        `WARNING: SendRequest failed with hr = ${code}. Proxy List used: <(null)> Bypass List used : <(null)> Auth Schemes used : <>`,
      ]);
      out.push([
        'Misc',
        `WARNING: WinHttp: SendRequestUsingProxy failed for <${server}/ClientWebService/client.asmx>. error 0x${code}`,
      ]);
      out.push(['Misc', `WARNING: WinHttp: ShouldFileBeDownloaded failed with 0x${code}`]);
      out.push([
        'PT',
        `WARNING: GetConfig failure, error = 0x${code.toUpperCase()}, soap client error = 10, soap error code = 0, HTTP status code = 503`,
      ]);
      out.push(['PT', `WARNING: PTError: 0x${code}`], ['PT', `WARNING: Sync of Updates: 0x${code}`]);
      out.push(['Agent', `  * WARNING: Failed to synchronize, error = 0x${code.toUpperCase()}`]);
      out.push(['Agent', `  * WARNING: Exit code = 0x${code.toUpperCase()}`]);
      out.push(
        ['Agent', '*********'],
        ['Agent', '**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]'],
        ['Agent', '*************'],
      );
      out.push(['Agent', `WARNING: WU client failed Searching for update with error 0x${code}`]);
      out.push([
        'Report',
        `REPORT EVENT: {${guid()}}\t2014-05-14 03:12:52:156+0900\t1\t148 [AGENT_DETECTION_FAILED]\t101\t{${guid()}}\t1\t${code}\tAutomaticUpdates\tFailure\tSoftware Synchronization\tWindows Update Client failed to detect with error 0x${code}.`,
      ]);
    }
  } else {
    // A successful search logs every update it evaluated: supersedence pruning and the updates it found.
    const found = rand(30);
    for (let i = rand(40); i > 0; i--)
      out.push([
        'Agent',
        `${modern ? '' : '  '}Update {${guid()}}.${100 + rand(200)} is pruned out due to potential supersedence`,
      ]);
    for (let i = 0; i < found; i++)
      out.push(['Agent', `${p}Added update {${guid()}}.${100 + rand(200)} to search result`]);
    out.push([
      'Agent',
      `${p}Found ${found} updates and ${rand(90)} categories in search; evaluated appl. rules of ${rand(2000)} out of 3312 deployed entities`,
    ]);
    if (modern)
      out.push([
        'Agent',
        `* END * Finding updates CallerId = UpdateOrchestrator, Id = ${id}, Exit code = 0x00000000 (cV = ${hex(16)}.1.0.0.0)`,
      ]);
    else
      out.push(
        ['Agent', '*********'],
        ['Agent', '**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]'],
        ['Agent', '*************'],
      );
    if (!modern)
      out.push([
        'Report',
        `REPORT EVENT: {${guid()}}\t2014-05-14 03:12:52:156+0900\t1\t147 [AGENT_DETECTION_FINISHED]\t101\t{${guid()}}\t1\t0\tAutomaticUpdates\tSuccess\tSoftware Synchronization\tWindows Update Client successfully detected ${found} updates.`,
      ]);
  }
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;
const pad3 = (n: number) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/** Generates `bytes` of log text of one format as a single Buffer. */
export function generate(modern: boolean, bytes: number): Buffer {
  const pieces: Buffer[] = [];
  let total = 0;
  let ms = 0;
  let id = 1;
  const pids = [880, 1020, 4416];
  while (total < bytes) {
    const lines: string[] = [];
    for (let n = 0; n < 5000;) {
      const msgs: Msg[] = [];
      const r = rand(1000);
      if (r < 20) cycle(modern, id++, msgs);
      else if (r < 25) settingsBlock(modern, msgs);
      else msgs.push(chatter(modern));
      const pid = pick(pids);
      const tid = modern ? String(1000 + rand(9000)) : hex(3 + rand(2)).replace(/^0+/, '') || 'a1';
      // The client writes in bursts: a block's lines share a millisecond or a few, blocks are seconds apart.
      ms += rand(20000);
      for (const [component, text] of msgs) {
        ms += rand(4) === 0 ? 1 + rand(15) : 0;
        const s = Math.floor(ms / 1000);
        const date = `2024${modern ? '/' : '-'}03${modern ? '/' : '-'}${pad2(1 + (Math.floor(s / 86400) % 28))}`;
        const clock = `${pad2(Math.floor(s / 3600) % 24)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
        if (modern) {
          const frac = pad3(ms % 1000) + String(rand(10000)).padStart(4, '0');
          lines.push(
            `${date} ${clock}.${frac} ${String(pid).padEnd(5)} ${tid.padEnd(5)} ${component.padEnd(15)} ${text}`,
          );
        } else {
          lines.push(`${date}\t${clock}:${pad3(ms % 1000)}\t${String(pid).padStart(4)}\t${tid}\t${component}\t${text}`);
        }
        n++;
      }
    }
    let piece = Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
    if (!modern && rand(4) === 0) {
      // A line in the ANSI code page now and then (legacy logs are not UTF-8).
      piece = Buffer.concat([
        piece,
        Buffer.from(
          '2024-03-01\t10:00:00:000\t 880\ta70\tMisc\t  = Process: C:\\Users\\Andr\xe9\\setup.exe\r\n',
          'latin1',
        ),
      ]);
    }
    pieces.push(piece);
    total += piece.length;
  }
  return Buffer.concat(pieces, total);
}
