/**
 * Policy assessment: where a machine gets its updates from and which settings break or weaken that.
 * Decisions: `source` is `wsus` when UseWUServer=1 and WUServer is non-empty; `disabled` when
 * DisableWindowsUpdateAccess=1 without WSUS; otherwise `windows_update`. NoAutoUpdate=1 does not make the source
 * `disabled` (manual and API scans still work); it raises AU_DISABLED instead.
 */
import { AU_POLICY_KEY, WINDOWS_UPDATE_POLICY_KEY } from './policy.js';
import { AU_VALUES, WINDOWS_UPDATE_VALUES } from './types.js';
import type { PolicyAssessment, PolicyProblem, UpdatePolicy } from './types.js';
import { checkWsusUrl, wsusCompareKey } from './url.js';

const GP_LOCATION = '"Specify intranet Microsoft update service location"';
const DEFAULT_DETECTION_HOURS = 22;
const VALID_AU_OPTIONS = new Set([2, 3, 4, 5, 7]);
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Assesses a typed policy: update source, WSUS URLs in use, detection interval and problems (errors first). */
export function assessPolicy(policy: UpdatePolicy): PolicyAssessment {
  const wu = policy.windowsUpdate;
  const au = policy.au;
  const wuServer = nonEmpty(wu.WUServer);
  const statusServer = nonEmpty(wu.WUStatusServer);
  const wsus = au.UseWUServer === 1 && wuServer !== null;
  const source = wsus ? 'wsus' : wu.DisableWindowsUpdateAccess === 1 ? 'disabled' : 'windows_update';
  const problems: PolicyProblem[] = [];
  const add = (p: PolicyProblem): void => void problems.push(p);

  if (au.UseWUServer === 1 && wuServer === null) {
    add({
      code: 'USE_WUSERVER_WITHOUT_WUSERVER',
      severity: 'error',
      message:
        `UseWUServer is 1 but WUServer is empty, so every scan fails with 0x80244011 (WU_E_PT_SUS_SERVER_NOT_SET). ` +
        `In the GPO that sets it, enable ${GP_LOCATION} with the WSUS URL (e.g. https://wsus01.example.com:8531), ` +
        `or set it to Not Configured to use Microsoft Update; then run gpupdate /force and restart wuauserv.`,
    });
  }
  if (wuServer !== null && au.UseWUServer !== 1) {
    add({
      code: 'WUSERVER_IGNORED',
      severity: 'warning',
      value: wuServer,
      message:
        `WUServer is ${wuServer} but UseWUServer is ${au.UseWUServer ?? 'absent'}, so Windows Update ignores it and ` +
        `talks to Microsoft, not to the WSUS server. If the machine should use WSUS, enable ${GP_LOCATION} ` +
        `(it sets UseWUServer=1); if not, set that policy to Not Configured to remove the leftover value.`,
    });
  }
  if (wsus) checkWsusUrls(policy, add);
  if (wu.DisableWindowsUpdateAccess === 1 && !wsus) {
    add({
      code: 'ACCESS_DISABLED_NO_WSUS',
      severity: 'error',
      value: 1,
      message:
        `DisableWindowsUpdateAccess is 1 and no WSUS server is in use, so scans are refused by policy ` +
        `(0x8024002F, 0x80240025). Set "Turn off access to all Windows Update features" to Not Configured, ` +
        `or point the machine at WSUS with ${GP_LOCATION}.`,
    });
  }
  if (wu.DoNotConnectToWindowsUpdateInternetLocations === 1 && !wsus) {
    add({
      code: 'NO_INTERNET_NO_WSUS',
      severity: 'warning',
      value: 1,
      message:
        `DoNotConnectToWindowsUpdateInternetLocations is 1 but no WSUS server is in use. The policy is meant for ` +
        `intranet servers; left behind it can block Microsoft's services (0x8024500C). Set "Do not connect to any ` +
        `Windows Update Internet locations" to Not Configured, or enable ${GP_LOCATION}.`,
    });
  }
  checkAutomaticUpdates(policy, add);
  checkValueTypes(policy, add);
  problems.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return {
    source,
    wsusUrl: wsus ? wuServer : null,
    statusUrl: wsus ? statusServer : null,
    detectionIntervalHours: detectionInterval(policy),
    problems,
  };
}

/** Hours between automatic detections: DetectionFrequency when enabled and within 1–22, else the default 22. */
export function detectionInterval(policy: UpdatePolicy): number {
  const freq = policy.au.DetectionFrequency;
  const enabled = policy.au.DetectionFrequencyEnabled === 1;
  return enabled && freq !== null && freq >= 1 && freq <= 22 ? freq : DEFAULT_DETECTION_HOURS;
}

function checkWsusUrls(policy: UpdatePolicy, add: (p: PolicyProblem) => void): void {
  const wuServer = nonEmpty(policy.windowsUpdate.WUServer)!;
  const statusServer = nonEmpty(policy.windowsUpdate.WUStatusServer);
  const alternate = nonEmpty(policy.windowsUpdate.UpdateServiceUrlAlternate);
  if (statusServer === null) {
    add({
      code: 'STATUS_SERVER_MISSING',
      severity: 'warning',
      message:
        `WUStatusServer is empty, so the machine does not report its status to WSUS (it shows as "not reported" in ` +
        `the console). In ${GP_LOCATION}, set the intranet statistics server to the same URL as the update service.`,
    });
  } else if (wsusCompareKey(statusServer) !== wsusCompareKey(wuServer)) {
    add({
      code: 'STATUS_SERVER_MISMATCH',
      severity: 'warning',
      value: statusServer,
      message:
        `WUStatusServer (${statusServer}) differs from WUServer (${wuServer}): the machine reports to another server ` +
        `than the one it scans against. Set both URLs in ${GP_LOCATION} to the same server.`,
    });
  }
  const urls: [string, string][] = [['WUServer', wuServer]];
  if (statusServer !== null && wsusCompareKey(statusServer) !== wsusCompareKey(wuServer)) {
    urls.push(['WUStatusServer', statusServer]);
  }
  for (const [name, url] of urls) {
    const checked = checkWsusUrl(url);
    if (!checked.ok) {
      add(invalidUrl(name, url));
    } else if (checked.url.protocol === 'http:') {
      add({
        code: 'HTTP_NOT_HTTPS',
        severity: 'warning',
        value: url,
        message:
          `${name} ${url} uses plain http, so update metadata can be tampered with on the network (WSUSpect). ` +
          `Configure WSUS for SSL (port 8531 by default) and change the URL in ${GP_LOCATION} to https://.`,
      });
    }
  }
  // Content over http is normal (payloads are signed); only an unusable alternate URL is a problem.
  if (alternate !== null && !checkWsusUrl(alternate).ok) add(invalidUrl('UpdateServiceUrlAlternate', alternate));
}

function invalidUrl(name: string, url: string): PolicyProblem {
  return {
    code: 'INVALID_WSUS_URL',
    severity: 'error',
    value: url,
    message:
      `${name} "${url}" is not a usable http:// or https:// URL, so Windows Update fails with 0x80072EE6 or ` +
      `0x80072EE5. Correct it in ${GP_LOCATION} (e.g. https://wsus01.example.com:8531).`,
  };
}

function checkAutomaticUpdates(policy: UpdatePolicy, add: (p: PolicyProblem) => void): void {
  const au = policy.au;
  if (au.NoAutoUpdate === 1) {
    add({
      code: 'AU_DISABLED',
      severity: 'warning',
      value: 1,
      message:
        `NoAutoUpdate is 1: Automatic Updates is off, so the machine scans only when someone asks and its last ` +
        `successful detection grows old. If that is not intended, set "Configure Automatic Updates" to Enabled.`,
    });
  } else if (au.AUOptions !== null && !VALID_AU_OPTIONS.has(au.AUOptions)) {
    add({
      code: 'AU_OPTIONS_INVALID',
      severity: 'warning',
      value: au.AUOptions,
      message:
        `AUOptions is ${au.AUOptions}, which Windows does not define (2, 3, 4, 5 or 7), so Automatic Updates may ` +
        `ignore it. Pick an option in "Configure Automatic Updates".`,
    });
  }
  const freq = au.DetectionFrequency;
  if (au.DetectionFrequencyEnabled === 1 && (freq === null || freq < 1 || freq > 22)) {
    add({
      code: 'DETECTION_FREQUENCY_INVALID',
      severity: 'warning',
      ...(freq === null ? {} : { value: freq }),
      message:
        `DetectionFrequency is ${freq ?? 'absent'}, outside 1–22 hours, so Windows uses its default of 22 hours. ` +
        `Set "Automatic Updates detection frequency" to a value between 1 and 22.`,
    });
  }
}

// Known names that toUpdatePolicy could not type (wrong registry type) were left in `other`.
function checkValueTypes(policy: UpdatePolicy, add: (p: PolicyProblem) => void): void {
  const checks = [
    [WINDOWS_UPDATE_POLICY_KEY, WINDOWS_UPDATE_VALUES],
    [AU_POLICY_KEY, AU_VALUES],
  ] as const;
  for (const [path, spec] of checks) {
    const names = new Map(Object.entries(spec).map(([name, kind]) => [name.toLowerCase(), { name, kind }]));
    for (const [name, value] of Object.entries(policy.other[path] ?? {})) {
      const known = names.get(name.toLowerCase());
      if (known === undefined) continue;
      const expected = known.kind === 'string' ? 'REG_SZ' : 'REG_DWORD';
      add({
        code: 'WRONG_VALUE_TYPE',
        severity: 'warning',
        value: known.name,
        message:
          `${known.name} is stored as ${value.type} but Windows Update reads it as ${expected}, so it is probably ` +
          `ignored. Set it through Group Policy instead of editing the registry by hand.`,
      });
    }
  }
}

function nonEmpty(value: string | null): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}
