import test from 'ava';
import {
  CATALOGUE_ENTRIES,
  HRESULT_CLASSES,
  classifyHttpStatus,
  describeHresult,
  isFailure,
  toHresult,
} from '@wuwatch/core';
import type { HresultClass } from '@wuwatch/core';

// Design doc section 6, one row per table row: codes, symbolic names (null = a family), class.
const DESIGN_TABLE: readonly [codes: string[], names: (string | null)[], cls: HresultClass | 'success'][] = [
  [['0x80072EE2'], ['ERROR_WINHTTP_TIMEOUT'], 'unreachable'],
  [['0x80072EE7'], ['ERROR_WINHTTP_NAME_NOT_RESOLVED'], 'unreachable'],
  [
    ['0x80072EFD', '0x80072EFE', '0x80072EFF'],
    ['ERROR_WINHTTP_CANNOT_CONNECT', 'ERROR_WINHTTP_CONNECTION_ERROR', 'ERROR_INTERNET_CONNECTION_RESET'],
    'unreachable',
  ],
  [['0x80072F78'], ['ERROR_WINHTTP_INVALID_SERVER_RESPONSE'], 'unreachable'],
  [['0x80072F8F', '0x80072F7D'], ['ERROR_WINHTTP_SECURE_FAILURE', 'ERROR_WINHTTP_SECURE_CHANNEL_ERROR'], 'unreachable'],
  [
    ['0x80072F05', '0x80072F06', '0x80072F0D', '0x80072F89', '0x80072F19', '0x80072F8A', '0x80072F0C'],
    [
      'ERROR_WINHTTP_SECURE_CERT_DATE_INVALID',
      'ERROR_WINHTTP_SECURE_CERT_CN_INVALID',
      'ERROR_WINHTTP_SECURE_INVALID_CA',
      'ERROR_WINHTTP_SECURE_INVALID_CERT',
      'ERROR_WINHTTP_SECURE_CERT_REV_FAILED',
      'ERROR_WINHTTP_SECURE_CERT_REVOKED',
      'ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED',
    ],
    'unreachable',
  ],
  [
    ['0x80072EE5', '0x80072EE6'],
    ['ERROR_WINHTTP_INVALID_URL', 'ERROR_WINHTTP_UNRECOGNIZED_SCHEME'],
    'client_misconfigured',
  ],
  [['0x8024402C'], ['WU_E_PT_WINHTTP_NAME_NOT_RESOLVED'], 'unreachable'],
  [
    ['0x80244004', '0x80244005', '0x80244009'],
    ['WU_E_PT_SOAPCLIENT_CONNECT', 'WU_E_PT_SOAPCLIENT_SEND', 'WU_E_PT_SOAPCLIENT_READ'],
    'unreachable',
  ],
  [['0x8024401C'], ['WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT'], 'unreachable'],
  [['0x80240438', '0x80240440'], ['WU_E_PT_ENDPOINT_UNREACHABLE', 'WU_E_PT_ENDPOINT_DISCONNECTED'], 'unreachable'],
  [['0x8024001F', '0x80246005'], ['WU_E_NO_CONNECTION', 'WU_E_DM_NONETWORK'], 'unreachable'],
  [['0x80244022'], ['WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL'], 'unreachable'],
  [['0x80244023'], ['WU_E_PT_HTTP_STATUS_GATEWAY_TIMEOUT'], 'unreachable'],
  [
    ['0x80244021', '0x8024401B'],
    ['WU_E_PT_HTTP_STATUS_BAD_GATEWAY', 'WU_E_PT_HTTP_STATUS_PROXY_AUTH_REQ'],
    'unreachable',
  ],
  [['0x8024402D', '0x8024402E'], ['WU_E_PT_LOAD_SHEDDING', 'WU_E_PT_CLIENT_ENFORCED_LOAD_SHEDDING'], 'unreachable'],
  [
    ['0x801901F6', '0x801901F7', '0x801901F8', '0x80190197'],
    ['BG_E_HTTP_ERROR_502', 'BG_E_HTTP_ERROR_503', 'BG_E_HTTP_ERROR_504', 'BG_E_HTTP_ERROR_407'],
    'unreachable',
  ],
  [['0x80190193', '0x80190194'], ['BG_E_HTTP_ERROR_403', 'BG_E_HTTP_ERROR_404'], 'server_error'],
  [
    ['0x80244016', '0x80244017', '0x80244018', '0x80244019'],
    [
      'WU_E_PT_HTTP_STATUS_BAD_REQUEST',
      'WU_E_PT_HTTP_STATUS_DENIED',
      'WU_E_PT_HTTP_STATUS_FORBIDDEN',
      'WU_E_PT_HTTP_STATUS_NOT_FOUND',
    ],
    'server_error',
  ],
  [
    ['0x8024401A', '0x8024401D', '0x8024401E'],
    ['WU_E_PT_HTTP_STATUS_BAD_METHOD', 'WU_E_PT_HTTP_STATUS_CONFLICT', 'WU_E_PT_HTTP_STATUS_GONE'],
    'server_error',
  ],
  [
    ['0x8024401F', '0x80244020'],
    ['WU_E_PT_HTTP_STATUS_SERVER_ERROR', 'WU_E_PT_HTTP_STATUS_NOT_SUPPORTED'],
    'server_error',
  ],
  [
    ['0x80244024', '0x8024402B'],
    ['WU_E_PT_HTTP_STATUS_VERSION_NOT_SUP', 'WU_E_PT_HTTP_STATUS_NOT_MAPPED'],
    'server_error',
  ],
  [
    ['0x80244006', '0x80244007', '0x80244008', '0x8024400A'],
    [
      'WU_E_PT_SOAPCLIENT_SERVER',
      'WU_E_PT_SOAPCLIENT_SOAPFAULT',
      'WU_E_PT_SOAPCLIENT_PARSEFAULT',
      'WU_E_PT_SOAPCLIENT_PARSE',
    ],
    'server_error',
  ],
  [['0x8024400D', '0x8024400E'], ['WU_E_PT_SOAP_CLIENT', 'WU_E_PT_SOAP_SERVER'], 'server_error'],
  [
    ['0x80244010', '0x80244015'],
    ['WU_E_PT_EXCEEDED_MAX_SERVER_TRIPS', 'WU_E_PT_REFRESH_CACHE_REQUIRED'],
    'server_error',
  ],
  [['0x8024402F', '0x80244FFF'], ['WU_E_PT_ECP_SUCCEEDED_WITH_ERRORS', 'WU_E_PT_UNEXPECTED'], 'server_error'],
  [['0x80244011', '0x8024002E'], ['WU_E_PT_SUS_SERVER_NOT_SET', 'WU_E_WU_DISABLED'], 'client_misconfigured'],
  [
    ['0x8024002F', '0x80240025'],
    ['WU_E_CALL_CANCELLED_BY_POLICY', 'WU_E_USER_ACCESS_DISABLED'],
    'client_misconfigured',
  ],
  [
    ['0x80240030', '0x8024043A', '0x8024500C'],
    ['WU_E_INVALID_PROXY_SERVER', 'WU_E_PT_INVALID_URL', 'WU_E_REDIRECTOR_CONNECT_POLICY'],
    'client_misconfigured',
  ],
  [
    ['0x8024001E', '0x8024A10A', '0x8024000B'],
    ['WU_E_SERVICE_STOP', 'USO_E_SERVICE_SHUTTING_DOWN', 'WU_E_CALL_CANCELLED'],
    'local_agent',
  ],
  [['0x80070422', '0x8024D009'], ['ERROR_SERVICE_DISABLED', 'WU_E_SETUP_SKIP_UPDATE'], 'local_agent'],
  [
    ['0x80240016', '0x80240022', '0x8024000E', '0x80240020'],
    ['WU_E_INSTALL_NOT_ALLOWED', 'WU_E_ALL_UPDATES_FAILED', 'WU_E_XML_INVALID', 'WU_E_NO_INTERACTIVE_USER'],
    'local_agent',
  ],
  [['0x80248F00', '0x80242F00', '0x800F1234'], [null, null, null], 'local_agent'],
  [['0x80200013', '0x80200011'], ['BG_E_INSUFFICIENT_RANGE_SUPPORT', 'BG_E_MISSING_FILE_SIZE'], 'other'],
  [['0x00000000', '0x00240001', '0x00240005'], ['S_OK', 'WU_S_SERVICE_STOP', 'WU_S_REBOOT_REQUIRED'], 'success'],
];

for (const [codes, names, cls] of DESIGN_TABLE) {
  test(`design table: ${codes.join(' / ')} → ${cls}`, (t) => {
    codes.forEach((code, i) => {
      const d = describeHresult(code);
      const name = names[i];
      if (name) t.is(d.name, name, code);
      else t.regex(d.name, /^[A-Z_]+_\*$/, code);
      if (cls === 'success') {
        t.is(d.class, 'other', code);
        t.false(isFailure(code), code);
      } else {
        t.is(d.class, cls, code);
        t.true(isFailure(code), code);
      }
    });
  });
}

test('design table: anything else is not given a connectivity class', (t) => {
  for (const code of ['0x87654321', '0x80249999', '0xC0000005']) t.is(describeHresult(code).class, 'unknown', code);
});

test('at least 80 specific entries, at least 80 of them failures', (t) => {
  t.true(CATALOGUE_ENTRIES.length >= 80, `${CATALOGUE_ENTRIES.length} entries`);
  t.true(CATALOGUE_ENTRIES.filter((e) => isFailure(e.code)).length >= 80);
});

test('codes are normalised and unique; names are unique and well-formed', (t) => {
  const codes = new Set<string>();
  const names = new Set<string>();
  for (const e of CATALOGUE_ENTRIES) {
    t.is(toHresult(e.code), e.code);
    t.regex(e.name, /^[A-Z0-9_]+$/);
    t.false(codes.has(e.code), `duplicate code ${e.code}`);
    t.false(names.has(e.name), `duplicate name ${e.name}`);
    codes.add(e.code);
    names.add(e.name);
  }
});

test('every entry has a description, a remedy and a known class', (t) => {
  for (const e of CATALOGUE_ENTRIES) {
    const d = describeHresult(e.code);
    t.is(d.name, e.name);
    t.true(d.description.trim().length > 10, e.name);
    t.true(d.description.endsWith('.'), e.name);
    t.true(d.remedy.trim().length > 10, e.name);
    t.true(HRESULT_CLASSES.includes(d.class) && d.class !== 'unknown', e.name);
  }
});

test('an HTTP status entry is classed by its status', (t) => {
  const withStatus = CATALOGUE_ENTRIES.filter((e) => e.httpStatus !== undefined);
  t.true(withStatus.length >= 15);
  for (const e of withStatus) t.is(e.class, classifyHttpStatus(e.httpStatus!), e.name);
});

test('WU_E_PT_HTTP_STATUS_* is a lookup, not arithmetic', (t) => {
  const expected: Record<string, number | undefined> = {
    '0x80244016': 400,
    '0x80244017': 401,
    '0x80244018': 403,
    '0x80244019': 404,
    '0x8024401A': 405,
    '0x8024401B': 407,
    '0x8024401C': 408,
    '0x8024401D': 409,
    '0x8024401E': 410,
    '0x8024401F': 500,
    '0x80244020': 501,
    '0x80244021': 502,
    '0x80244022': 503,
    '0x80244023': 504,
    '0x80244024': 505,
    '0x8024402B': undefined,
  };
  for (const [code, status] of Object.entries(expected)) {
    const d = describeHresult(code);
    t.regex(d.name, /^WU_E_PT_HTTP_STATUS_/, code);
    t.is(d.httpStatus, status, code);
  }
});

test('the whole WU_E_PT family 0x80244000-0x8024402F is catalogued (0x80244014 is not defined)', (t) => {
  for (let n = 0x80244000; n <= 0x8024402f; n++) {
    const d = describeHresult(n);
    if (n === 0x80244014) t.is(d.class, 'unknown');
    else t.regex(d.name, /^WU_E_PT_/, d.code);
  }
});

test('WU_E_* agent codes carry their wuerror.h names', (t) => {
  const agent: Record<string, number> = {
    WU_E_NO_SERVICE: 0x80240001,
    WU_E_MAX_CAPACITY_REACHED: 0x80240002,
    WU_E_UNKNOWN_ID: 0x80240003,
    WU_E_NOT_INITIALIZED: 0x80240004,
    WU_E_RANGEOVERLAP: 0x80240005,
    WU_E_TOOMANYRANGES: 0x80240006,
    WU_E_INVALIDINDEX: 0x80240007,
    WU_E_ITEMNOTFOUND: 0x80240008,
    WU_E_OPERATIONINPROGRESS: 0x80240009,
    WU_E_COULDNOTCANCEL: 0x8024000a,
    WU_E_CALL_CANCELLED: 0x8024000b,
    WU_E_NOOP: 0x8024000c,
    WU_E_XML_MISSINGDATA: 0x8024000d,
    WU_E_XML_INVALID: 0x8024000e,
    WU_E_CYCLE_DETECTED: 0x8024000f,
    WU_E_TOO_DEEP_RELATION: 0x80240010,
    WU_E_INVALID_RELATIONSHIP: 0x80240011,
    WU_E_REG_VALUE_INVALID: 0x80240012,
    WU_E_DUPLICATE_ITEM: 0x80240013,
    WU_E_INVALID_INSTALL_REQUESTED: 0x80240014,
    WU_E_INSTALL_NOT_ALLOWED: 0x80240016,
    WU_E_NOT_APPLICABLE: 0x80240017,
    WU_E_NO_USERTOKEN: 0x80240018,
    WU_E_EXCLUSIVE_INSTALL_CONFLICT: 0x80240019,
    WU_E_POLICY_NOT_SET: 0x8024001a,
    WU_E_SELFUPDATE_IN_PROGRESS: 0x8024001b,
    WU_E_INVALID_UPDATE: 0x8024001d,
    WU_E_SERVICE_STOP: 0x8024001e,
    WU_E_NO_CONNECTION: 0x8024001f,
    WU_E_NO_INTERACTIVE_USER: 0x80240020,
    WU_E_TIME_OUT: 0x80240021,
    WU_E_ALL_UPDATES_FAILED: 0x80240022,
    WU_E_EULAS_DECLINED: 0x80240023,
    WU_E_NO_UPDATE: 0x80240024,
    WU_E_USER_ACCESS_DISABLED: 0x80240025,
    WU_E_INVALID_UPDATE_TYPE: 0x80240026,
    WU_E_URL_TOO_LONG: 0x80240027,
    WU_E_UNINSTALL_NOT_ALLOWED: 0x80240028,
    WU_E_INVALID_PRODUCT_LICENSE: 0x80240029,
    WU_E_MISSING_HANDLER: 0x8024002a,
    WU_E_LEGACYSERVER: 0x8024002b,
    WU_E_BIN_SOURCE_ABSENT: 0x8024002c,
    WU_E_SOURCE_ABSENT: 0x8024002d,
    WU_E_WU_DISABLED: 0x8024002e,
    WU_E_CALL_CANCELLED_BY_POLICY: 0x8024002f,
    WU_E_INVALID_PROXY_SERVER: 0x80240030,
    WU_E_INVALID_FILE: 0x80240031,
    WU_E_INVALID_CRITERIA: 0x80240032,
    WU_E_EULA_UNAVAILABLE: 0x80240033,
    WU_E_DOWNLOAD_FAILED: 0x80240034,
    WU_E_UPDATE_NOT_PROCESSED: 0x80240035,
    WU_E_INVALID_OPERATION: 0x80240036,
    WU_E_NOT_SUPPORTED: 0x80240037,
    WU_E_TOO_MANY_RESYNC: 0x80240039,
    WU_E_NO_SERVER_CORE_SUPPORT: 0x80240040,
    WU_E_SYSPREP_IN_PROGRESS: 0x80240041,
    WU_E_UNKNOWN_SERVICE: 0x80240042,
    WU_E_NO_UI_SUPPORT: 0x80240043,
    WU_E_PER_MACHINE_UPDATE_ACCESS_DENIED: 0x80240044,
    WU_E_UNSUPPORTED_SEARCHSCOPE: 0x80240045,
    WU_E_BAD_FILE_URL: 0x80240046,
    WU_E_NOTSUPPORTED: 0x80240047,
    WU_E_INVALID_NOTIFICATION_INFO: 0x80240048,
    WU_E_OUTOFRANGE: 0x80240049,
    WU_E_SETUP_IN_PROGRESS: 0x8024004a,
    WU_E_UNEXPECTED: 0x80240fff,
    WU_E_DM_NONETWORK: 0x80246005,
    WU_E_DM_NOTDOWNLOADED: 0x80246007,
    WU_E_DM_FAILTOCONNECTTOBITS: 0x80246008,
    WU_E_DM_BITSTRANSFERERROR: 0x80246009,
    WU_E_SETUP_SKIP_UPDATE: 0x8024d009,
  };
  for (const [name, code] of Object.entries(agent)) t.is(describeHresult(code).name, name, name);
});

test('WinHTTP codes are 0x80070000 + the winhttp.h error number', (t) => {
  const winhttp: Record<string, number> = {
    ERROR_WINHTTP_TIMEOUT: 12002,
    ERROR_WINHTTP_INTERNAL_ERROR: 12004,
    ERROR_WINHTTP_INVALID_URL: 12005,
    ERROR_WINHTTP_UNRECOGNIZED_SCHEME: 12006,
    ERROR_WINHTTP_NAME_NOT_RESOLVED: 12007,
    ERROR_WINHTTP_CANNOT_CONNECT: 12029,
    ERROR_WINHTTP_CONNECTION_ERROR: 12030,
    ERROR_INTERNET_CONNECTION_RESET: 12031,
    ERROR_WINHTTP_SECURE_CERT_DATE_INVALID: 12037,
    ERROR_WINHTTP_SECURE_CERT_CN_INVALID: 12038,
    ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED: 12044,
    ERROR_WINHTTP_SECURE_INVALID_CA: 12045,
    ERROR_INTERNET_SEC_CERT_ERRORS: 12055,
    ERROR_WINHTTP_SECURE_CERT_REV_FAILED: 12057,
    ERROR_WINHTTP_HEADER_NOT_FOUND: 12150,
    ERROR_WINHTTP_INVALID_SERVER_RESPONSE: 12152,
    ERROR_WINHTTP_SECURE_CHANNEL_ERROR: 12157,
    ERROR_WINHTTP_SECURE_INVALID_CERT: 12169,
    ERROR_WINHTTP_SECURE_CERT_REVOKED: 12170,
    ERROR_WINHTTP_SECURE_FAILURE: 12175,
  };
  for (const [name, n] of Object.entries(winhttp)) t.is(describeHresult(0x80070000 + n).name, name, name);
});

test('success entries are exactly the entries whose severity bit is clear', (t) => {
  for (const e of CATALOGUE_ENTRIES) {
    const success = /^(S_|WU_S_)/.test(e.name);
    t.is(isFailure(e.code), !success, e.name);
    if (success) t.is(e.class, 'other', e.name);
  }
});
