import test from 'ava';
import { readFileSync } from 'node:fs';
import { PolicyAssessmentSchema, assessPolicy, parsePolicy, toUpdatePolicy } from '@wuwatch/core';
import type { AuValues, PolicyAssessment, PolicyProblemCode, UpdatePolicy, WindowsUpdateValues } from '@wuwatch/core';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/policy/${name}`, import.meta.url));
const GP = 'Specify intranet Microsoft update service location';
const HTTPS = 'https://wsus01.corp.example:8531';

function policy(wu: Partial<WindowsUpdateValues>, au: Partial<AuValues> = {}): UpdatePolicy {
  const base = toUpdatePolicy({ keys: [] });
  return { ...base, windowsUpdate: { ...base.windowsUpdate, ...wu }, au: { ...base.au, ...au } };
}
const wsus = (wu: Partial<WindowsUpdateValues> = {}, au: Partial<AuValues> = {}): UpdatePolicy =>
  policy({ WUServer: HTTPS, WUStatusServer: HTTPS, ...wu }, { UseWUServer: 1, ...au });

interface Row {
  name: string;
  policy: UpdatePolicy;
  source: PolicyAssessment['source'];
  codes: PolicyProblemCode[];
  severity?: 'error' | 'warning' | 'info';
  value?: string | number;
  mentions?: RegExp;
}

const rows: Row[] = [
  { name: 'a clean https WSUS policy', policy: wsus(), source: 'wsus', codes: [] },
  { name: 'no policy at all', policy: policy({}), source: 'windows_update', codes: [] },
  {
    name: 'UseWUServer=1 without WUServer',
    policy: policy({}, { UseWUServer: 1 }),
    source: 'windows_update',
    codes: ['USE_WUSERVER_WITHOUT_WUSERVER'],
    severity: 'error',
    mentions: /0x80244011/,
  },
  {
    name: 'UseWUServer=1 with a blank WUServer',
    policy: policy({ WUServer: '   ' }, { UseWUServer: 1 }),
    source: 'windows_update',
    codes: ['USE_WUSERVER_WITHOUT_WUSERVER'],
    severity: 'error',
  },
  {
    name: 'WUServer set but UseWUServer absent',
    policy: policy({ WUServer: HTTPS, WUStatusServer: HTTPS }),
    source: 'windows_update',
    codes: ['WUSERVER_IGNORED'],
    severity: 'warning',
    value: HTTPS,
    mentions: /talks to Microsoft/,
  },
  {
    name: 'WUServer set but UseWUServer=0',
    policy: policy({ WUServer: HTTPS }, { UseWUServer: 0 }),
    source: 'windows_update',
    codes: ['WUSERVER_IGNORED'],
    severity: 'warning',
    mentions: /UseWUServer is 0/,
  },
  {
    name: 'a status server on another host',
    policy: wsus({ WUStatusServer: 'https://wsus02.corp.example:8531' }),
    source: 'wsus',
    codes: ['STATUS_SERVER_MISMATCH'],
    severity: 'warning',
    value: 'https://wsus02.corp.example:8531',
  },
  {
    name: 'a status server differing only in case and trailing slash',
    policy: wsus({ WUStatusServer: 'HTTPS://WSUS01.corp.example:8531/' }),
    source: 'wsus',
    codes: [],
  },
  {
    name: 'no status server',
    policy: wsus({ WUStatusServer: null }),
    source: 'wsus',
    codes: ['STATUS_SERVER_MISSING'],
    severity: 'warning',
  },
  {
    name: 'an empty status server',
    policy: wsus({ WUStatusServer: '' }),
    source: 'wsus',
    codes: ['STATUS_SERVER_MISSING'],
  },
  {
    name: 'plain http WSUS',
    policy: wsus({ WUServer: 'http://wsus01.corp.example:8530', WUStatusServer: 'http://wsus01.corp.example:8530' }),
    source: 'wsus',
    codes: ['HTTP_NOT_HTTPS'],
    severity: 'warning',
    value: 'http://wsus01.corp.example:8530',
    mentions: /WSUSpect/,
  },
  {
    name: 'an http status server next to an https update server',
    policy: wsus({ WUStatusServer: 'http://wsus01.corp.example:8530' }),
    source: 'wsus',
    codes: ['STATUS_SERVER_MISMATCH', 'HTTP_NOT_HTTPS'],
  },
  {
    name: 'a WUServer without scheme',
    policy: wsus({ WUServer: 'wsus01.corp.example:8530', WUStatusServer: 'wsus01.corp.example:8530' }),
    source: 'wsus',
    codes: ['INVALID_WSUS_URL'],
    severity: 'error',
    mentions: /0x80072EE6/,
  },
  {
    name: 'an ftp WUServer',
    policy: wsus({ WUServer: 'ftp://wsus01', WUStatusServer: 'ftp://wsus01' }),
    source: 'wsus',
    codes: ['INVALID_WSUS_URL'],
  },
  {
    name: 'an unparsable WUServer',
    policy: wsus({ WUServer: 'http://wsus 01:8530', WUStatusServer: 'http://wsus 01:8530' }),
    source: 'wsus',
    codes: ['INVALID_WSUS_URL'],
  },
  {
    name: 'an unusable alternate download server',
    policy: wsus({ UpdateServiceUrlAlternate: 'dp01' }),
    source: 'wsus',
    codes: ['INVALID_WSUS_URL'],
    value: 'dp01',
  },
  {
    name: 'an http alternate download server',
    policy: wsus({ UpdateServiceUrlAlternate: 'http://dp01.corp.example' }),
    source: 'wsus',
    codes: [],
  },
  {
    name: 'access disabled without WSUS',
    policy: policy({ DisableWindowsUpdateAccess: 1 }),
    source: 'disabled',
    codes: ['ACCESS_DISABLED_NO_WSUS'],
    severity: 'error',
    mentions: /0x8024002F/,
  },
  {
    name: 'access disabled with WSUS',
    policy: wsus({ DisableWindowsUpdateAccess: 1 }),
    source: 'wsus',
    codes: [],
  },
  {
    name: 'DisableWindowsUpdateAccess=0',
    policy: policy({ DisableWindowsUpdateAccess: 0 }),
    source: 'windows_update',
    codes: [],
  },
  {
    name: 'no internet locations without WSUS',
    policy: policy({ DoNotConnectToWindowsUpdateInternetLocations: 1 }),
    source: 'windows_update',
    codes: ['NO_INTERNET_NO_WSUS'],
    severity: 'warning',
    mentions: /Do not connect to any Windows Update Internet locations/,
  },
  {
    name: 'no internet locations with WSUS',
    policy: wsus({ DoNotConnectToWindowsUpdateInternetLocations: 1 }),
    source: 'wsus',
    codes: [],
  },
  {
    name: 'Automatic Updates off',
    policy: policy({}, { NoAutoUpdate: 1 }),
    source: 'windows_update',
    codes: ['AU_DISABLED'],
    severity: 'warning',
    mentions: /Configure Automatic Updates/,
  },
  {
    name: 'an undefined AUOptions',
    policy: policy({}, { AUOptions: 6 }),
    source: 'windows_update',
    codes: ['AU_OPTIONS_INVALID'],
    value: 6,
  },
  {
    name: 'detection frequency 0',
    policy: wsus({}, { DetectionFrequencyEnabled: 1, DetectionFrequency: 0 }),
    source: 'wsus',
    codes: ['DETECTION_FREQUENCY_INVALID'],
    severity: 'warning',
    value: 0,
    mentions: /Automatic Updates detection frequency/,
  },
  {
    name: 'detection frequency 23',
    policy: wsus({}, { DetectionFrequencyEnabled: 1, DetectionFrequency: 23 }),
    source: 'wsus',
    codes: ['DETECTION_FREQUENCY_INVALID'],
  },
  {
    name: 'detection frequency enabled without a value',
    policy: wsus({}, { DetectionFrequencyEnabled: 1 }),
    source: 'wsus',
    codes: ['DETECTION_FREQUENCY_INVALID'],
  },
  {
    name: 'an out-of-range frequency that is not enabled',
    policy: wsus({}, { DetectionFrequency: 99 }),
    source: 'wsus',
    codes: [],
  },
];

for (const row of rows) {
  test(`assess: ${row.name}`, (t) => {
    const result = assessPolicy(row.policy);
    t.is(result.source, row.source);
    t.deepEqual(
      result.problems.map((p) => p.code),
      row.codes,
    );
    const first = result.problems[0];
    if (row.severity !== undefined) t.is(first?.severity, row.severity);
    if (row.value !== undefined) t.is(first?.value, row.value);
    if (row.mentions !== undefined) t.regex(first?.message ?? '', row.mentions);
    t.deepEqual(PolicyAssessmentSchema.parse(JSON.parse(JSON.stringify(result))), result);
  });
}

test('problems about the intranet location name the Group Policy setting', (t) => {
  const codes = new Set<PolicyProblemCode>();
  for (const row of rows) {
    for (const p of assessPolicy(row.policy).problems) {
      if (
        [
          'USE_WUSERVER_WITHOUT_WUSERVER',
          'WUSERVER_IGNORED',
          'STATUS_SERVER_MISMATCH',
          'HTTP_NOT_HTTPS',
          'INVALID_WSUS_URL',
        ].includes(p.code)
      ) {
        t.true(p.message.includes(GP), `${p.code}: ${p.message}`);
        codes.add(p.code);
      }
    }
  }
  t.is(codes.size, 5);
});

test('wsusUrl and statusUrl are set only when WSUS is in use', (t) => {
  const used = assessPolicy(wsus({ WUServer: ` ${HTTPS} `, WUStatusServer: HTTPS + '/' }));
  t.is(used.wsusUrl, HTTPS);
  t.is(used.statusUrl, HTTPS + '/');
  const ignored = assessPolicy(policy({ WUServer: HTTPS, WUStatusServer: HTTPS }));
  t.is(ignored.wsusUrl, null);
  t.is(ignored.statusUrl, null);
});

test('detection interval: the enabled valid frequency, else 22 hours', (t) => {
  t.is(assessPolicy(wsus({}, { DetectionFrequencyEnabled: 1, DetectionFrequency: 6 })).detectionIntervalHours, 6);
  t.is(assessPolicy(wsus({}, { DetectionFrequencyEnabled: 1, DetectionFrequency: 1 })).detectionIntervalHours, 1);
  t.is(assessPolicy(wsus({}, { DetectionFrequencyEnabled: 1, DetectionFrequency: 22 })).detectionIntervalHours, 22);
  t.is(assessPolicy(wsus({}, { DetectionFrequency: 6 })).detectionIntervalHours, 22);
  t.is(assessPolicy(wsus({}, { DetectionFrequencyEnabled: 0, DetectionFrequency: 6 })).detectionIntervalHours, 22);
  t.is(assessPolicy(wsus({}, { DetectionFrequencyEnabled: 1, DetectionFrequency: 40 })).detectionIntervalHours, 22);
});

test('errors come before warnings', (t) => {
  const result = assessPolicy(
    policy({ WUServer: '', DisableWindowsUpdateAccess: 1 }, { UseWUServer: 1, NoAutoUpdate: 1 }),
  );
  t.deepEqual(
    result.problems.map((p) => [p.code, p.severity]),
    [
      ['USE_WUSERVER_WITHOUT_WUSERVER', 'error'],
      ['ACCESS_DISABLED_NO_WSUS', 'error'],
      ['AU_DISABLED', 'warning'],
    ],
  );
  t.is(result.source, 'disabled');
});

test('a known value stored with the wrong type is reported', (t) => {
  const text = [
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate',
    '    WUServer    REG_SZ    https://wsus01.corp.example:8531',
    '    WUStatusServer    REG_SZ    https://wsus01.corp.example:8531',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU',
    '    usewuserver    REG_SZ    1',
  ].join('\r\n');
  const result = assessPolicy(parsePolicy(text));
  t.is(result.source, 'windows_update', 'a REG_SZ UseWUServer does not count as 1');
  t.deepEqual(
    result.problems.map((p) => p.code),
    ['WUSERVER_IGNORED', 'WRONG_VALUE_TYPE'],
  );
  t.is(result.problems[1]!.value, 'UseWUServer');
  t.regex(result.problems[1]!.message, /REG_SZ.*REG_DWORD/);
});

test('fixture: the retired plain-http WSUS server', (t) => {
  const result = assessPolicy(parsePolicy(fixture('regquery-wsus-old.txt')));
  t.is(result.source, 'wsus');
  t.is(result.wsusUrl, 'http://wsus-old.corp.example:8530');
  t.is(result.statusUrl, 'http://wsus-old.corp.example:8530');
  t.is(result.detectionIntervalHours, 6);
  t.deepEqual(
    result.problems.map((p) => p.code),
    ['HTTP_NOT_HTTPS'],
  );
});

test('fixture: UseWUServer=1 without WUServer', (t) => {
  const result = assessPolicy(parsePolicy(fixture('regquery-usewuserver-no-server.txt')));
  t.deepEqual(
    result.problems.map((p) => [p.code, p.severity]),
    [['USE_WUSERVER_WITHOUT_WUSERVER', 'error']],
  );
});

test('fixture: key not found means Windows Update with no problems', (t) => {
  t.deepEqual(assessPolicy(parsePolicy(fixture('regquery-key-not-found.txt'))), {
    source: 'windows_update',
    wsusUrl: null,
    statusUrl: null,
    detectionIntervalHours: 22,
    problems: [],
  });
});

test('fixture: the hand-edited .reg has an out-of-range detection frequency', (t) => {
  const result = assessPolicy(parsePolicy(fixture('hand-edited-utf8.reg')));
  t.is(result.source, 'wsus');
  t.deepEqual(
    result.problems.map((p) => [p.code, p.value]),
    [['DETECTION_FREQUENCY_INVALID', 48]],
  );
});
