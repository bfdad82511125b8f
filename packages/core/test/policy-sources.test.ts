// Where each class of update comes from. Registry inputs: the real .reg of Aetherinox/pause-windows-updates and the
// project's reg query capture of a WSUS client (fixtures/wild/README.md says why the Dual Scan and per-class cases
// are built from Microsoft's documented value names: no public export of such a machine was found).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  assessUpdateSources,
  osBuildOf,
  parseMdmPolicy,
  parsePolicy,
  parseRegFile,
  parseRegQuery,
  toMdmUpdatePolicy,
  toUpdatePolicy,
  type RegistryExport,
  type RegValue,
  type UpdatePolicy,
} from '../src/policy/index.js';

const file = (p: string): Buffer => readFileSync(fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url)));
const WU = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';
const AU = WU + '\\AU';
const MDM = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\Update';
const WSUS_ID = '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7';
const WU_ID = '9482F4B4-E343-43B6-B170-9A65BC822C77';
const MU_ID = '7971F918-A847-4430-9279-4A52D1EFE18D';

const dword = (value: number): RegValue => ({ type: 'REG_DWORD', value });

/** The WSUS client capture (a reg query export) with extra values added to its keys. */
function wsusClient(extra: { wu?: Record<string, RegValue>; au?: Record<string, RegValue> } = {}): UpdatePolicy {
  const exp: RegistryExport = parseRegQuery(file('policy/regquery-wsus-old.txt').toString('utf8'));
  for (const key of exp.keys) {
    if (key.path === WU) {
      delete key.values.DoNotConnectToWindowsUpdateInternetLocations;
      delete key.values.SetPolicyDrivenUpdateSourceForQualityUpdates;
      Object.assign(key.values, extra.wu ?? {});
    }
    if (key.path === AU) Object.assign(key.values, extra.au ?? {});
  }
  return toUpdatePolicy(exp);
}

test('osBuildOf reads the build from the strings agents and Windows write', (t) => {
  t.is(osBuildOf('10.0.17763'), 17763);
  t.is(osBuildOf('Microsoft Windows [Version 10.0.19045.3803]'), 19045);
  t.is(osBuildOf('6.1.7601'), null);
  t.is(osBuildOf(null), null);
});

test('WSUS only: every class from WSUS, only the WSUS service matters', (t) => {
  const a = assessUpdateSources({ policy: wsusClient(), osBuild: 17763 });
  t.true(a.wsusManaged);
  t.deepEqual(
    Object.values(a.classes).map((c) => c.source),
    ['wsus', 'wsus', 'wsus', 'wsus'],
  );
  t.is(a.dualScan, 'not_applicable');
  t.false(a.bypassesWsus);
  t.deepEqual(a.servicesThatMatter, [WSUS_ID]);
  t.regex(
    a.summary,
    /come from WSUS \(http:\/\/wsus-old\.corp\.example:8530\)\. The machine does not scan Windows Update\./,
  );
});

test('Dual Scan: WSUS plus a deferral policy on Windows 10 1607+ takes Windows content from Windows Update', (t) => {
  const policy = wsusClient({ wu: { DeferQualityUpdates: dword(1), DeferQualityUpdatesPeriodInDays: dword(7) } });
  const a = assessUpdateSources({ policy, osBuild: 17763 });
  t.is(a.dualScan, 'active');
  t.true(a.bypassesWsus);
  t.like(a.classes, {
    quality: { source: 'windows_update' },
    feature: { source: 'windows_update' },
    driver: { source: 'windows_update' },
    other: { source: 'wsus' },
  });
  t.deepEqual(a.servicesThatMatter, [WSUS_ID, WU_ID, MU_ID]);
  const f = a.findings.find((x) => x.code === 'DUAL_SCAN_ACTIVE');
  t.truthy(f);
  t.regex(f!.message, /DeferQualityUpdates/);
  t.regex(f!.message, /DisableDualScan=1/);
  t.regex(a.summary, /talks to Windows Update behind WSUS’s back/);
});

test('Dual Scan depends on the build: possible when unknown, not before 1607, not on Windows 11', (t) => {
  const policy = wsusClient({ wu: { DeferFeatureUpdates: dword(1) } });
  const unknown = assessUpdateSources({ policy });
  t.is(unknown.dualScan, 'possible');
  t.is(unknown.bypassesWsus, null);
  t.true(unknown.findings.some((f) => f.code === 'DUAL_SCAN_POSSIBLE'));
  t.is(assessUpdateSources({ policy, osBuild: 10586 }).dualScan, 'not_applicable');
  const w11 = assessUpdateSources({ policy, osBuild: 22631 });
  t.is(w11.dualScan, 'not_applicable');
  t.is(w11.classes.quality.source, 'wsus');
});

test('DisableDualScan=1 keeps a WSUS machine with deferrals on WSUS, and says so', (t) => {
  const policy = wsusClient({ wu: { DeferQualityUpdates: dword(1), DisableDualScan: dword(1) } });
  const a = assessUpdateSources({ policy, osBuild: 19045 });
  t.is(a.dualScan, 'disabled');
  t.false(a.bypassesWsus);
  t.is(a.classes.quality.source, 'wsus');
  t.true(a.findings.some((f) => f.code === 'DUAL_SCAN_DISABLED' && f.severity === 'info'));
});

test('per-class source: quality from WSUS, drivers from Windows Update, only with UseUpdateClassPolicySource=1', (t) => {
  const wu = {
    SetPolicyDrivenUpdateSourceForQualityUpdates: dword(1),
    SetPolicyDrivenUpdateSourceForFeatureUpdates: dword(1),
    SetPolicyDrivenUpdateSourceForDriverUpdates: dword(0),
    SetPolicyDrivenUpdateSourceForOtherUpdates: dword(1),
  };
  const on = assessUpdateSources({
    policy: wsusClient({ wu, au: { UseUpdateClassPolicySource: dword(1) } }),
    osBuild: 19045,
  });
  t.is(on.dualScan, 'superseded');
  t.like(on.classes, {
    quality: { source: 'wsus' },
    feature: { source: 'wsus' },
    driver: { source: 'windows_update' },
    other: { source: 'wsus' },
  });
  t.true(on.bypassesWsus);
  t.true(on.findings.some((f) => f.code === 'SCAN_SOURCE_SPLIT' && /driver updates/.test(f.message)));
  t.regex(on.summary, /driver updates come from Windows Update/i);

  const ignored = assessUpdateSources({ policy: wsusClient({ wu }), osBuild: 19045 });
  t.deepEqual(
    Object.values(ignored.classes).map((c) => c.source),
    ['wsus', 'wsus', 'wsus', 'wsus'],
  );
  t.true(ignored.findings.some((f) => f.code === 'SCAN_SOURCE_IGNORED'));
});

test('the scan source policy together with DisableDualScan on Windows 10 is an error (no updates from Windows Update)', (t) => {
  const policy = wsusClient({
    wu: { SetPolicyDrivenUpdateSourceForQualityUpdates: dword(0), DisableDualScan: dword(1) },
    au: { UseUpdateClassPolicySource: dword(1) },
  });
  const a = assessUpdateSources({ policy, osBuild: 19045 });
  t.true(a.findings.some((f) => f.code === 'DUAL_SCAN_WITH_SCAN_SOURCE' && f.severity === 'error'));
});

test('the project capture as it is: a per-class value without UseUpdateClassPolicySource, Windows Update blocked', (t) => {
  const a = assessUpdateSources({ policy: parsePolicy(file('policy/regquery-wsus-old.txt')), osBuild: 17763 });
  t.true(a.findings.some((f) => f.code === 'SCAN_SOURCE_IGNORED'));
  t.is(a.classes.quality.source, 'wsus');
});

test('Windows Update classes are nowhere when DoNotConnectToWindowsUpdateInternetLocations blocks Windows Update', (t) => {
  const policy = wsusClient({
    wu: { DeferQualityUpdates: dword(1), DoNotConnectToWindowsUpdateInternetLocations: dword(1) },
  });
  const a = assessUpdateSources({ policy, osBuild: 17763 });
  t.is(a.classes.quality.source, 'none');
  t.true(a.findings.some((f) => f.code === 'WINDOWS_UPDATE_BLOCKED' && f.severity === 'error'));
});

test('real .reg (Aetherinox pause script): the MDM store stands beside Group Policy; drivers excluded from Windows Update', (t) => {
  const text = file('wild/aetherinox-windows-updates-pause.reg');
  const policy = toUpdatePolicy(parseRegFile(text));
  const mdm = parseMdmPolicy(text);
  t.true(mdm.present);
  t.is(mdm.update.ExcludeWUDriversInQualityUpdate, 1);
  t.is(policy.windowsUpdate.ExcludeWUDriversInQualityUpdate, 1);
  const a = assessUpdateSources({ policy, mdm, osBuild: 19045 });
  t.false(a.wsusManaged);
  t.like(a.classes, { quality: { source: 'windows_update' }, driver: { source: 'none' } });
  t.true(a.findings.some((f) => f.code === 'MDM_POLICY' && /ExcludeWUDriversInQualityUpdate/.test(f.message)));
  t.false(
    a.findings.some((f) => f.code === 'MDM_GP_CONFLICT'),
    'the same value in both places is no conflict',
  );
  t.deepEqual(a.servicesThatMatter, [WU_ID, MU_ID]);
});

test('MDM overrides Group Policy only with MDMWinsOverGP=1; either way the conflict is named', (t) => {
  const policy = wsusClient({ wu: { DisableDualScan: dword(1), DeferQualityUpdates: dword(1) } });
  const store = (wins: number | null) =>
    toMdmUpdatePolicy({
      keys: [
        { path: MDM, values: { DisableDualScan: dword(0), DisableDualScan_ProviderSet: dword(1) } },
        ...(wins === null
          ? []
          : [
              {
                path: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\ControlPolicyConflict',
                values: { MDMWinsOverGP: dword(wins) },
              },
            ]),
      ],
    });
  const gpWins = assessUpdateSources({ policy, mdm: store(null), osBuild: 17763 });
  t.is(gpWins.dualScan, 'disabled');
  t.true(gpWins.findings.some((f) => f.code === 'MDM_GP_CONFLICT' && /group policy wins/.test(f.message)));
  const mdmWins = assessUpdateSources({ policy, mdm: store(1), osBuild: 17763 });
  t.is(mdmWins.dualScan, 'active');
  t.true(mdmWins.findings.some((f) => f.code === 'MDM_GP_CONFLICT' && /MDM wins/.test(f.message)));
  t.deepEqual(store(null).other, { DisableDualScan_ProviderSet: dword(1) });
});

test('an MDM-only deferral (Intune) on a WSUS machine turns Dual Scan on too', (t) => {
  const mdm = toMdmUpdatePolicy({ keys: [{ path: MDM, values: { DeferQualityUpdatesPeriodInDays: dword(7) } }] });
  const a = assessUpdateSources({ policy: wsusClient(), mdm, osBuild: 19045 });
  t.is(a.dualScan, 'active');
  t.regex(a.findings.find((f) => f.code === 'DUAL_SCAN_ACTIVE')!.message, /DeferQualityUpdatesPeriodInDays \(MDM\)/);
});

test('a policy stored by an older agent (without the newer value names) still assesses', (t) => {
  const old = wsusClient() as unknown as { windowsUpdate: Record<string, unknown>; au: Record<string, unknown> };
  delete old.windowsUpdate.DeferQualityUpdates;
  delete old.windowsUpdate.SetPolicyDrivenUpdateSourceForQualityUpdates;
  delete old.au.UseUpdateClassPolicySource;
  const a = assessUpdateSources({ policy: old as unknown as UpdatePolicy });
  t.is(a.dualScan, 'not_applicable');
  t.deepEqual(a.servicesThatMatter, [WSUS_ID]);
});
