/**
 * What an operator should do about a code: a remedy per class, preceded by a hint for the specific code
 * or HTTP status when there is something more precise to say. Steps are separate lines.
 */
import { isSuccessHresult } from '../hresult/normalize.js';
import type { Hresult } from '../hresult/normalize.js';
import type { HresultClass } from './types.js';

const POLICY = '"Specify intranet Microsoft update service location"';
const POLICY_PATH =
  'Computer Configuration > Administrative Templates > Windows Components > Windows Update ' +
  '(newer templates: its subfolder "Manage updates offered from Windows Server Update Service")';
const POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';
const REAPPLY =
  'run gpupdate /force and restart the Windows Update service (net stop wuauserv, then net start wuauserv)';

// The unreachable remedy is the lesson of the 2014 field report: the machine kept asking a WSUS server
// that no longer existed because a GPO still pointed at it, and the fix was the GPO, not the registry.
const CLASS_REMEDIES: Readonly<Record<HresultClass, readonly string[]>> = {
  unreachable: [
    'The update server could not be reached. Most often the machine is WSUS-managed by Group Policy and points at a WSUS server that is down or gone.',
    `1. See which server it points at: reg query ${POLICY_KEY} (WUServer, WUStatusServer) and reg query ${POLICY_KEY}\\AU (UseWUServer = 1 means WUServer is used), or run wuwatch-agent diagnose.`,
    `2. Those values come from the Group Policy setting ${POLICY} under ${POLICY_PATH}; when Enabled it sets WUServer, WUStatusServer and UseWUServer=1.`,
    '3. If that server should exist, restore it: its name must resolve, its port must answer (8530/8531 by default, 80/443 on old servers), IIS and the WsusPool application pool must run, and the WinHTTP proxy (netsh winhttp show proxy) must let the traffic through.',
    `4. If that server is gone, set ${POLICY} to "Not Configured" in the GPO that sets it (GPMC, or gpedit.msc for local policy), then ${REAPPLY}. Values deleted by hand in the registry come back at the next Group Policy refresh.`,
  ],
  server_error: [
    'The update server was reached but answered with an error.',
    '1. Check the server the machine points at (WUServer in reg query ' +
      `${POLICY_KEY}, or wuwatch-agent diagnose): URL, port (8530/8531 by default) and the WSUS virtual directories (/selfupdate, /ClientWebService).`,
    '2. On the WSUS server, check IIS (WsusPool application pool running, anonymous access on /selfupdate and /ClientWebService), its event log and free space for the WSUS database and content.',
    '3. If a proxy or web filter answered instead of WSUS, exclude the WSUS server from it.',
    `4. If the URL is wrong or the server is retired, fix or set ${POLICY} to "Not Configured" in the GPO that sets it, then ${REAPPLY}.`,
  ],
  client_misconfigured: [
    "This machine's Windows Update settings are wrong.",
    `1. Read them: reg query ${POLICY_KEY} and reg query ${POLICY_KEY}\\AU, or run wuwatch-agent diagnose. WUServer must be a full http:// or https:// URL (with its port), WUStatusServer the same, and UseWUServer=1 under AU.`,
    '2. Check the policies that block Windows Update: DisableWindowsUpdateAccess, DoNotConnectToWindowsUpdateInternetLocations, SetDisableUXWUAccess.',
    `3. Fix the setting in the GPO that sets it (${POLICY} and its neighbours under ${POLICY_PATH}), then ${REAPPLY}. Values edited by hand come back at the next Group Policy refresh.`,
  ],
  local_agent: [
    'The Windows Update agent or the servicing stack failed on this machine; the network is not the cause.',
    '1. Read the lines around the code in WindowsUpdate.log and the Microsoft-Windows-WindowsUpdateClient/Operational event log.',
    '2. Make sure the Windows Update (wuauserv), Background Intelligent Transfer (BITS) and Cryptographic services are not disabled, and that the system drive has free space.',
    '3. Restart the machine if a restart is pending, then retry the scan.',
    '4. If it persists, repair servicing with DISM /Online /Cleanup-Image /RestoreHealth and sfc /scannow; as a last resort stop wuauserv and BITS, rename C:\\Windows\\SoftwareDistribution and start them again.',
  ],
  other: [
    'This code does not point at a connectivity or configuration problem.',
    'Read the update or operation that returned it in WindowsUpdate.log or the WindowsUpdateClient event log, and retry after any pending restart.',
  ],
  unknown: [
    'wuwatch does not know this code.',
    '1. Look it up: on a Windows machine run certutil -error <code>, and search Microsoft Learn "Windows Update error codes by component" and wuerror.h for it.',
    '2. The facility tells who raised it: 0x8024xxxx Windows Update, 0x8007xxxx Win32 or WinHTTP, 0x8019xxxx and 0x8020xxxx BITS, 0x800Fxxxx servicing.',
    '3. Read the lines around it in WindowsUpdate.log.',
  ],
};

const SUCCESS_REMEDY = 'Nothing to fix: this code reports success, not a failure.';

const TLS =
  "TLS to the update server failed: check the server certificate (not expired, issued to the host name in WUServer, chaining to a root in the machine store), that TLS 1.2 is enabled in SChannel on both sides, and this machine's clock.";
const DNS =
  'The server name did not resolve: run nslookup on the WUServer host. A name that no longer exists usually means the WSUS server was retired.';
const CONNECT =
  'Nothing answered on the server port: check the server is up, listening on the WUServer port and not blocked by a firewall.';
const PROXY =
  'Check the WinHTTP proxy (netsh winhttp show proxy), not the user proxy: Windows Update detection uses it. The proxy must let the machine reach WSUS without interactive authentication, or bypass it.';
const RANGE =
  'A proxy between this machine and the server breaks BITS downloads: exclude the update server from the proxy or allow HTTP range requests through it.';
const DISM =
  'Repair the component store with DISM /Online /Cleanup-Image /RestoreHealth. On WSUS-managed machines also enable "Specify settings for optional component installation and component repair" with "Download repair content and optional features directly from Windows Update instead of WSUS", or give DISM a /Source.';
const SERVICE_DISABLED =
  'A service Windows Update needs is disabled: set wuauserv (and BITS) back to Manual or Automatic (sc config wuauserv start= demand, then net start wuauserv) and make sure no GPO (System Services) disables it again.';

const CODE_HINTS: Readonly<Record<Hresult, string>> = {
  '0x80072F05': TLS,
  '0x80072F06': TLS,
  '0x80072F0C': TLS,
  '0x80072F0D': TLS,
  '0x80072F17': TLS,
  '0x80072F19': TLS,
  '0x80072F7D': TLS,
  '0x80072F89': TLS,
  '0x80072F8A': TLS,
  '0x80072F8F': TLS,
  '0x80072F93': TLS,
  '0x80072EE7': DNS,
  '0x8024402C': DNS,
  '0x80072EFD': CONNECT,
  '0x80072EFE': CONNECT,
  '0x80072EFF': CONNECT,
  '0x80244004': CONNECT,
  '0x80240438': CONNECT,
  '0x80240030': PROXY,
  '0x8024043C': PROXY,
  '0x80072F86': PROXY,
  '0x80072F87': PROXY,
  '0x80072F92': PROXY,
  '0x80072F94': PROXY,
  '0x80200011': RANGE,
  '0x80200012': RANGE,
  '0x80200013': RANGE,
  '0x800F081F': DISM,
  '0x800F0831': DISM,
  '0x800F0906': DISM,
  '0x800F0922': DISM,
  '0x80070422': SERVICE_DISABLED,
  '0x8024402D':
    'The server asked clients to back off (load shedding): it is overloaded. Wait, and check the WSUS server load.',
  '0x8024402E':
    'The agent is waiting out the load shedding interval the server asked for. Wait, and check the WSUS server load.',
  '0x80244011': `UseWUServer is 1 but WUServer is empty: Enable ${POLICY} with both URLs set, or set it to "Not Configured".`,
  '0x8024002E':
    'A policy forbids unmanaged (public) servers: the machine must use its WSUS server, so that server must work.',
  '0x8024500C':
    'DoNotConnectToWindowsUpdateInternetLocations forbids contacting Microsoft: the machine depends entirely on its WSUS server.',
  '0x8024002F': 'DisableWindowsUpdateAccess = 1 blocks Windows Update on this machine.',
  '0x80240025': 'Group Policy removed access to Windows Update (DisableWindowsUpdateAccess or SetDisableUXWUAccess).',
  '0x80240022':
    'Every update failed to install: antivirus or endpoint protection blocking the installers is the usual cause.',
  '0x8024D009':
    'Usually harmless: wuident.cab told the agent to skip its self-update. Look at the code that follows it in the log.',
  '0x80070005':
    'Run the operation as an administrator or LocalSystem, and check the permissions of C:\\Windows\\SoftwareDistribution.',
  '0x80070070': 'Free space on the system drive (and the drive holding SoftwareDistribution).',
  '0x00240005': 'Restart the machine to finish installing.',
};

const STATUS_HINTS: Readonly<Record<number, string>> = {
  503: 'HTTP 503: if the WSUS server exists, its WsusPool application pool in IIS has usually stopped (often after hitting its private memory limit): start it and raise the limit.',
  502: 'HTTP 502: a proxy or load balancer could not get an answer from the WSUS server behind it.',
  504: 'HTTP 504: a proxy or load balancer timed out waiting for the WSUS server behind it.',
  407: `HTTP 407: the proxy wants authentication. ${PROXY}`,
  408: 'HTTP 408: the server timed out waiting for the request; the server or the network path is slow or overloaded.',
  404: 'HTTP 404: wrong port or missing WSUS virtual directory. WSUS listens on 8530/8531 since Server 2012 (80/443 before); the URL must be the server root.',
  401: 'HTTP 401: the WSUS virtual directories must allow anonymous access (/selfupdate, /ClientWebService).',
  403: 'HTTP 403: the WSUS virtual directories must allow anonymous access (/selfupdate, /ClientWebService) and the client IP must not be blocked.',
  500: 'HTTP 500: the WSUS application failed; read the WSUS server event log and check its database.',
};

/** The generic remedy for a class, as separate lines. */
export function remedyForClass(cls: HresultClass): string {
  return CLASS_REMEDIES[cls].join('\n');
}

/** The remedy for one code: a code or HTTP status hint (if any) followed by its class remedy. */
export function remedyFor(d: { code: Hresult; class: HresultClass; httpStatus?: number | undefined }): string {
  const hint = CODE_HINTS[d.code] ?? (d.httpStatus === undefined ? undefined : STATUS_HINTS[d.httpStatus]);
  if (isSuccessHresult(d.code)) return hint === undefined ? SUCCESS_REMEDY : `${hint}\n${SUCCESS_REMEDY}`;
  const generic = remedyForClass(d.class).replaceAll('<code>', d.code);
  return hint === undefined ? generic : `${hint}\n${generic}`;
}
