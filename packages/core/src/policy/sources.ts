/**
 * Where each class of update really comes from, and whether a WSUS-managed machine also talks to Windows Update.
 *
 * Sources (Microsoft):
 * - Dual Scan — WSUS blog "Demystifying 'Dual Scan'" and "Improving Dual Scan on 1607" (2017): on Windows 10 1607+
 *   a client with an intranet server (WUServer + UseWUServer=1) and a Windows Update for Business deferral policy
 *   ("Select when Quality/Feature Updates are received": DeferQualityUpdates, DeferFeatureUpdates,
 *   BranchReadinessLevel, pauses, or their MDM equivalents) scans Windows Update as well and takes Windows content
 *   from it; WSUS keeps only the rest. "Do not allow update deferral policies to cause scans against Windows Update"
 *   (DisableDualScan=1) turns that off.
 * - Scan source policy — Microsoft Learn "Use Windows Update client policies and WSUS together" (wufb-wsus) and
 *   WindowsUpdate.admx "Specify source service for specific classes of Windows Updates": Windows 10 2004+ and
 *   Windows 11 take each class (feature, quality, driver, other) from the source its
 *   SetPolicyDrivenUpdateSourceFor<Class>Updates value names (Policy CSP - Update: 0 Windows Update, 1 WSUS). Set
 *   through the registry it works only with AU!UseUpdateClassPolicySource=1. Dual Scan "is no longer supported on
 *   Windows 11 and on Windows 10 it's replaced by the new Windows scan source policy … If you configure both on
 *   Windows 10, you won't get updates from Windows Update."
 * - MDM — Policy CSP - Update writes the same settings to the PolicyManager store (policy/mdm.ts); Policy CSP -
 *   ControlPolicyConflict MDMWinsOverGP=1 lets MDM win where both set one, otherwise Group Policy wins.
 * Windows Update classes are judged by scans of the Windows Update and Microsoft Update services, WSUS classes by
 * scans of the WSUS service (catalogue/services.ts).
 */
import { UPDATE_SERVICES } from '../catalogue/services.js';
import { assessPolicy } from './assess.js';
import type { MdmUpdatePolicy } from './mdm.js';
import type { SourceFinding, UpdateClass, UpdateClassSource, UpdateSources } from './sources-types.js';
import { UPDATE_CLASSES } from './sources-types.js';
import type { UpdatePolicy } from './types.js';

/** What {@link assessUpdateSources} looks at. */
export interface UpdateSourcesInput {
  policy: UpdatePolicy;
  /** The PolicyManager (MDM) Update values, when the agent read them. */
  mdm?: MdmUpdatePolicy | null;
  /** The Windows build number (10.0.<build>), when known: Dual Scan depends on it. */
  osBuild?: number | null;
}

/** First build of Windows 10 1607 / Server 2016 (Dual Scan appeared there). */
const BUILD_1607 = 14393;
/** First build of Windows 11 (Dual Scan not supported). */
const BUILD_WINDOWS_11 = 22000;

const CLASS_WORDS: Readonly<Record<UpdateClass, string>> = {
  quality: 'quality updates',
  feature: 'feature updates',
  driver: 'driver updates',
  other: 'updates for other Microsoft products',
};
const SOURCE_SETTING: Readonly<Record<UpdateClass, string>> = {
  quality: 'SetPolicyDrivenUpdateSourceForQualityUpdates',
  feature: 'SetPolicyDrivenUpdateSourceForFeatureUpdates',
  driver: 'SetPolicyDrivenUpdateSourceForDriverUpdates',
  other: 'SetPolicyDrivenUpdateSourceForOtherUpdates',
};
const SERVICE_ID = Object.fromEntries(UPDATE_SERVICES.map((s) => [s.key, s.id])) as Record<string, string>;

/** `10.0.17763`, `10.0.17763.1879`, `Microsoft Windows [Version 10.0.19045.3803]` → the build; null otherwise. */
export function osBuildOf(osVersion: string | null | undefined): number | null {
  const m = /\b10\.0\.(\d{4,6})\b/.exec(osVersion ?? '');
  return m === null ? null : Number(m[1]);
}

interface Effective {
  value: number | string | null;
  from: 'group policy' | 'MDM' | null;
}

/** Assesses where each class of update comes from; pure, never throws on a policy that typed. */
export function assessUpdateSources(input: UpdateSourcesInput): UpdateSources {
  const { policy } = input;
  const mdm = input.mdm?.present === true ? input.mdm : null;
  const build = input.osBuild ?? null;
  // Policies stored by older agents lack the newer names: undefined is absent too.
  const wu = policy.windowsUpdate as Partial<UpdatePolicy['windowsUpdate']>;
  const au = policy.au as Partial<UpdatePolicy['au']>;
  const mu = (mdm?.update ?? {}) as Partial<MdmUpdatePolicy['update']>;
  const mdmWins = mdm?.mdmWinsOverGp === 1;
  const findings: SourceFinding[] = [];

  const pick = (
    name: string,
    gp: number | string | null | undefined,
    fromMdm: number | string | null | undefined,
  ): Effective => {
    const g = gp ?? null;
    const m = fromMdm ?? null;
    if (g !== null && m !== null && g !== m) {
      const winner = mdmWins ? 'MDM' : 'group policy';
      findings.push({
        code: 'MDM_GP_CONFLICT',
        severity: 'warning',
        message:
          `${name} is ${g} in Group Policy but ${m} in the MDM (Intune) store; ${winner} wins ` +
          `(ControlPolicyConflict MDMWinsOverGP is ${mdm?.mdmWinsOverGp ?? 'not set'}). Set it in one place only.`,
      });
      return mdmWins ? { value: m, from: 'MDM' } : { value: g, from: 'group policy' };
    }
    if (g !== null) return { value: g, from: 'group policy' };
    return { value: m, from: m === null ? null : 'MDM' };
  };

  const base = assessPolicy(policy);
  const mdmServer =
    typeof mu.UpdateServiceUrl === 'string' && mu.UpdateServiceUrl.trim() !== '' && mu.AllowUpdateService !== 0;
  const wsus = base.source === 'wsus' || (base.source !== 'disabled' && mdmServer);
  const wsusUrl = base.wsusUrl ?? (mdmServer ? mu.UpdateServiceUrl!.trim() : null);
  const disableDualScan = pick('DisableDualScan', wu.DisableDualScan, mu.DisableDualScan);
  const excludeDrivers = pick(
    'ExcludeWUDriversInQualityUpdate',
    wu.ExcludeWUDriversInQualityUpdate,
    mu.ExcludeWUDriversInQualityUpdate,
  );
  const deferrals = deferralSettings(wu, mu);
  const classSource = Object.fromEntries(
    UPDATE_CLASSES.map((c) => [
      c,
      pick(SOURCE_SETTING[c], wu[SOURCE_SETTING[c] as keyof typeof wu], mu[SOURCE_SETTING[c] as keyof typeof mu]),
    ]),
  ) as Record<UpdateClass, Effective>;
  // Group Policy's per-class values only count with UseUpdateClassPolicySource=1; the CSP sets that itself.
  const classPolicyOn = UPDATE_CLASSES.some(
    (c) => classSource[c].value !== null && (classSource[c].from === 'MDM' || au.UseUpdateClassPolicySource === 1),
  );
  const classPolicyIgnored =
    !classPolicyOn &&
    UPDATE_CLASSES.some((c) => classSource[c].from === 'group policy') &&
    au.UseUpdateClassPolicySource !== 1;

  const classes = {} as Record<UpdateClass, { source: UpdateClassSource; reason: string }>;
  let dualScan: UpdateSources['dualScan'] = 'not_applicable';
  let unsureOfBuild = false;

  if (!wsus) {
    const none = base.source === 'disabled';
    for (const c of UPDATE_CLASSES) {
      classes[c] = none
        ? { source: 'none', reason: 'DisableWindowsUpdateAccess is 1 and no WSUS server is configured' }
        : { source: 'windows_update', reason: 'no WSUS server is configured' };
      if (classPolicyOn && classSource[c].value === 1) {
        classes[c] = { source: 'none', reason: `${SOURCE_SETTING[c]} is 1 (WSUS) but no WSUS server is configured` };
        findings.push({
          code: 'SCAN_SOURCE_WITHOUT_WSUS',
          severity: 'error',
          message:
            `${SOURCE_SETTING[c]} sends ${CLASS_WORDS[c]} to WSUS, but no WSUS server is configured, so this machine ` +
            `gets none. Enable "Specify intranet Microsoft update service location" or set the class to Windows Update.`,
        });
      }
    }
  } else if (classPolicyOn) {
    dualScan = 'superseded';
    for (const c of UPDATE_CLASSES) {
      const e = classSource[c];
      classes[c] =
        e.value === 0
          ? { source: 'windows_update', reason: `${SOURCE_SETTING[c]} is 0 (Windows Update), set by ${e.from}` }
          : e.value === 1
            ? { source: 'wsus', reason: `${SOURCE_SETTING[c]} is 1 (WSUS), set by ${e.from}` }
            : { source: 'wsus', reason: `${SOURCE_SETTING[c]} is not set, so the WSUS server stays the source` };
    }
    if (disableDualScan.value === 1 && (build === null || build < BUILD_WINDOWS_11)) {
      findings.push({
        code: 'DUAL_SCAN_WITH_SCAN_SOURCE',
        severity: 'error',
        message:
          `DisableDualScan (${disableDualScan.from}) is set together with the scan source policy. Microsoft: "If you ` +
          `configure both on Windows 10, you won't get updates from Windows Update." Set "Do not allow update deferral ` +
          `policies to cause scans against Windows Update" to Not Configured.`,
      });
    }
  } else if (deferrals.length > 0 && disableDualScan.value !== 1) {
    const before1607 = build !== null && build < BUILD_1607;
    const windows11 = build !== null && build >= BUILD_WINDOWS_11;
    if (before1607 || windows11) {
      for (const c of UPDATE_CLASSES) classes[c] = { source: 'wsus', reason: 'the WSUS server is configured' };
    } else {
      dualScan = build === null ? 'possible' : 'active';
      unsureOfBuild = build === null;
      const why = `Dual Scan: WSUS plus ${deferrals.join(', ')}, and DisableDualScan is not 1`;
      for (const c of UPDATE_CLASSES) {
        classes[c] =
          c === 'other'
            ? { source: 'wsus', reason: 'Dual Scan keeps non-Windows content on WSUS' }
            : { source: 'windows_update', reason: why };
      }
      findings.push({
        code: build === null ? 'DUAL_SCAN_POSSIBLE' : 'DUAL_SCAN_ACTIVE',
        severity: 'warning',
        message:
          `${build === null ? 'If this machine runs Windows 10 1607 or later, ' : ''}Dual Scan is on: the machine is ` +
          `managed by WSUS (${wsusUrl}) but ${deferrals.join(', ')} ${deferrals.length === 1 ? 'is' : 'are'} set, so ` +
          `it also scans Windows Update and takes Windows quality, feature and driver updates from there, ignoring ` +
          `their WSUS approvals. Set those deferral policies to Not Configured, or enable "Do not allow update ` +
          `deferral policies to cause scans against Windows Update" (DisableDualScan=1).`,
      });
    }
  } else {
    if (deferrals.length > 0) {
      dualScan = 'disabled';
      findings.push({
        code: 'DUAL_SCAN_DISABLED',
        severity: 'info',
        message:
          `${deferrals.join(', ')} would cause Dual Scan, but DisableDualScan is 1 (${disableDualScan.from}): the ` +
          `deferrals apply only to manual "Check online for updates from Microsoft Update" scans.`,
      });
    }
    for (const c of UPDATE_CLASSES) classes[c] = { source: 'wsus', reason: 'the WSUS server is configured' };
  }

  if (classPolicyIgnored) {
    findings.push({
      code: 'SCAN_SOURCE_IGNORED',
      severity: 'warning',
      message:
        `SetPolicyDrivenUpdateSourceFor*Updates values are in the registry but AU\\UseUpdateClassPolicySource is not 1, ` +
        `so Windows ignores them. Configure "Specify source service for specific classes of Windows Updates" through ` +
        `Group Policy instead of editing the registry.`,
    });
  }
  if (excludeDrivers.value === 1 && classes.driver.source === 'windows_update') {
    classes.driver = { source: 'none', reason: `ExcludeWUDriversInQualityUpdate is 1 (${excludeDrivers.from})` };
  }
  if (wu.DoNotConnectToWindowsUpdateInternetLocations === 1) {
    const blocked = UPDATE_CLASSES.filter((c) => classes[c].source === 'windows_update');
    for (const c of blocked) {
      classes[c] = {
        source: 'none',
        reason: 'DoNotConnectToWindowsUpdateInternetLocations is 1, so Windows Update is blocked',
      };
    }
    if (blocked.length > 0 && wsus) {
      findings.push({
        code: 'WINDOWS_UPDATE_BLOCKED',
        severity: 'error',
        message:
          `Policy sends ${blocked.map((c) => CLASS_WORDS[c]).join(', ')} to Windows Update, but ` +
          `DoNotConnectToWindowsUpdateInternetLocations is 1, so this machine gets them from nowhere. Point those ` +
          `classes back at WSUS or allow Windows Update.`,
      });
    }
  }

  const fromWu = UPDATE_CLASSES.filter((c) => classes[c].source === 'windows_update');
  const fromWsus = UPDATE_CLASSES.filter((c) => classes[c].source === 'wsus');
  if (wsus && dualScan === 'superseded' && fromWu.length > 0) {
    findings.push({
      code: 'SCAN_SOURCE_SPLIT',
      severity: 'info',
      message:
        `The scan source policy splits this WSUS-managed machine: ${fromWu.map((c) => CLASS_WORDS[c]).join(', ')} ` +
        `come from Windows Update, the rest from WSUS (${wsusUrl}). WSUS approvals do not govern the former.`,
    });
  }
  const mdmNames = Object.entries(mu)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([n]) => n);
  if (mdmNames.length > 0) {
    findings.push({
      code: 'MDM_POLICY',
      severity: 'info',
      message:
        `The MDM (Intune) store sets ${mdmNames.join(', ')} beside Group Policy; ` +
        `${mdmWins ? 'MDM wins where both set a value (MDMWinsOverGP=1)' : 'Group Policy wins where both set a value'}.`,
    });
  }

  const services: string[] = [];
  if (fromWsus.length > 0) services.push(SERVICE_ID.wsus!);
  if (fromWu.length > 0) services.push(SERVICE_ID.windows_update!, SERVICE_ID.microsoft_update!);
  return {
    wsusManaged: wsus,
    classes,
    dualScan,
    bypassesWsus: !wsus ? false : fromWu.length === 0 ? false : unsureOfBuild ? null : true,
    servicesThatMatter: services,
    findings,
    summary: summarize(classes, wsusUrl, wsus, fromWu.length > 0, unsureOfBuild),
  };
}

function deferralSettings(
  wu: Partial<UpdatePolicy['windowsUpdate']>,
  mu: Partial<MdmUpdatePolicy['update']>,
): string[] {
  const names: string[] = [];
  if (wu.DeferQualityUpdates === 1) names.push('DeferQualityUpdates');
  if (wu.DeferFeatureUpdates === 1) names.push('DeferFeatureUpdates');
  if (wu.BranchReadinessLevel !== null && wu.BranchReadinessLevel !== undefined) names.push('BranchReadinessLevel');
  if (wu.DeferUpgrade === 1) names.push('DeferUpgrade');
  if (nonEmpty(wu.PauseQualityUpdatesStartTime)) names.push('PauseQualityUpdatesStartTime');
  if (nonEmpty(wu.PauseFeatureUpdatesStartTime)) names.push('PauseFeatureUpdatesStartTime');
  if (mu.DeferQualityUpdatesPeriodInDays !== null && mu.DeferQualityUpdatesPeriodInDays !== undefined)
    names.push('DeferQualityUpdatesPeriodInDays (MDM)');
  if (mu.DeferFeatureUpdatesPeriodInDays !== null && mu.DeferFeatureUpdatesPeriodInDays !== undefined)
    names.push('DeferFeatureUpdatesPeriodInDays (MDM)');
  if (mu.BranchReadinessLevel !== null && mu.BranchReadinessLevel !== undefined)
    names.push('BranchReadinessLevel (MDM)');
  if (mu.PauseQualityUpdates === 1) names.push('PauseQualityUpdates (MDM)');
  if (mu.PauseFeatureUpdates === 1) names.push('PauseFeatureUpdates (MDM)');
  return names;
}

function nonEmpty(v: string | null | undefined): boolean {
  return typeof v === 'string' && v.trim() !== '';
}

function summarize(
  classes: Record<UpdateClass, { source: UpdateClassSource }>,
  wsusUrl: string | null,
  wsus: boolean,
  talksToWu: boolean,
  unsure: boolean,
): string {
  const words = { wsus: `WSUS (${wsusUrl})`, windows_update: 'Windows Update', none: 'nowhere' } as const;
  const groups = new Map<UpdateClassSource, string[]>();
  for (const c of UPDATE_CLASSES) {
    const list = groups.get(classes[c].source) ?? [];
    list.push(CLASS_WORDS[c]);
    groups.set(classes[c].source, list);
  }
  const parts = [...groups].map(([source, list]) => `${list.join(', ')} come from ${words[source]}`);
  let sentence = parts.join('; ') + '.';
  sentence = sentence.charAt(0).toUpperCase() + sentence.slice(1);
  if (wsus && talksToWu) {
    sentence += unsure
      ? ' If this is Windows 10 1607 or later, the machine talks to Windows Update behind WSUS’s back.'
      : ' The machine talks to Windows Update behind WSUS’s back.';
  } else if (wsus) {
    sentence += ' The machine does not scan Windows Update.';
  }
  return sentence;
}
