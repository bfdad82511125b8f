/**
 * The other files of a simulated Windows server, pure: the policy export (policy.reg), the Windows 10/2016+ ETW
 * stub WindowsUpdate.log, Operational-channel events in `wevtutil qe /f:xml /e:Events` form, and wua.json.
 */
import { WSUS_SERVICE_ID, WU_SERVICE_ID } from './legacy-log.js';

/** The Windows Update policy of a machine. */
export interface PolicyValues {
  /** WUServer and WUStatusServer (null: not set). */
  wsusUrl: string | null;
  /** AU\UseWUServer = 1. */
  useWuServer: boolean;
}

const WU_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';

/** regedit export text; no values at all when the machine has no Windows Update policy. */
export function policyRegText(p: PolicyValues): string {
  const lines = ['Windows Registry Editor Version 5.00', ''];
  if (p.wsusUrl !== null || p.useWuServer) {
    lines.push(`[${WU_KEY}]`);
    if (p.wsusUrl !== null) lines.push(`"WUServer"="${p.wsusUrl}"`, `"WUStatusServer"="${p.wsusUrl}"`);
    lines.push('', `[${WU_KEY}\\AU]`, '"NoAutoUpdate"=dword:00000000', '"AUOptions"=dword:00000003');
    if (p.useWuServer) lines.push('"UseWUServer"=dword:00000001');
    lines.push('');
  }
  return lines.join('\r\n') + '\r\n';
}

/** The export as regedit writes it: UTF-16LE with a BOM. */
export function policyRegBytes(p: PolicyValues): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(policyRegText(p), 'utf16le')]);
}

/** What Windows 10 / Server 2016 and later leave in %windir%\WindowsUpdate.log. */
export const ETW_STUB =
  'Windows Update logs are now generated using ETW (Event Tracing for Windows).\r\n' +
  'Please run the Get-WindowsUpdateLog PowerShell command to convert ETW traces into a readable WindowsUpdate.log.\r\n' +
  '\r\n' +
  'For more information, please visit https://go.microsoft.com/fwlink/?LinkId=518345\r\n';

/** One detection event: 26 (success, updateCount) or 25 (failure, errorCode). */
export interface DetectionEvent {
  recordId: number;
  time: Date;
  hostname: string;
  /** null: event 26; otherwise event 25 with this code. */
  hresult: string | null;
  updates: number;
  managed: boolean;
}

const OPERATIONAL = 'Microsoft-Windows-WindowsUpdateClient/Operational';
const PROVIDER =
  "<Provider Name='Microsoft-Windows-WindowsUpdateClient' Guid='{945a8954-c147-4acd-923f-40c45405a658}'/>";

// wevtutil writes SystemTime with 7 fractional digits.
function systemTime(t: Date): string {
  return `${t.toISOString().slice(0, 23)}0000Z`;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

/** One `<Event>` element on one line, as wevtutil prints it. */
export function detectionEventXml(e: DetectionEvent): string {
  const failed = e.hresult !== null;
  const service = e.managed ? WSUS_SERVICE_ID : WU_SERVICE_ID;
  const data = failed
    ? `<Data Name='errorCode'>${e.hresult!.toLowerCase()}</Data>`
    : `<Data Name='updateCount'>${e.updates}</Data><Data Name='serviceGuid'>${service}</Data>`;
  return (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>" +
    PROVIDER +
    `<EventID>${failed ? 25 : 26}</EventID><Version>1</Version><Level>${failed ? 2 : 4}</Level>` +
    '<Task>1</Task><Opcode>13</Opcode><Keywords>0x4000000000000000</Keywords>' +
    `<TimeCreated SystemTime='${systemTime(e.time)}'/><EventRecordID>${e.recordId}</EventRecordID>` +
    "<Correlation/><Execution ProcessID='1216' ThreadID='4312'/>" +
    `<Channel>${OPERATIONAL}</Channel><Computer>${xmlEscape(e.hostname)}</Computer>` +
    `<Security UserID='S-1-5-18'/></System><EventData>${data}</EventData></Event>`
  );
}

/** A `wevtutil qe … /f:xml /e:Events` capture holding the given events. */
export function eventsFileXml(events: readonly DetectionEvent[]): string {
  return ['<Events>', ...events.map(detectionEventXml), '</Events>', ''].join('\r\n');
}

/** wua.json: what `Microsoft.Update.AutoUpdate`.Results reports. */
export function wuaJson(lastSearchSuccess: Date | null): string {
  return JSON.stringify({
    lastSearchSuccessDate: lastSearchSuccess ? lastSearchSuccess.toISOString() : null,
    lastInstallationSuccessDate: null,
  });
}
