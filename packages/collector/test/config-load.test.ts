// Configuration: defaults, environment, file + env precedence, validation errors naming the key, redaction.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWuwatchError } from '@wuwatch/core';
import { loadConfig, redactConfig } from '../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'wuwatch-config-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

/** The catalogued error thrown by loadConfig, or a test failure. */
function configError(t: import('ava').ExecutionContext, fn: () => unknown): { code: string; message: string } {
  const err = t.throws(fn);
  if (!isWuwatchError(err)) {
    t.fail(`expected a WuwatchError, got ${String(err)}`);
    return { code: '', message: '' };
  }
  return err;
}

test('defaults: embedded database under .wuwatch-data, 127.0.0.1:8470, documented thresholds', (t) => {
  const c = loadConfig({ env: {} });
  t.like(c, {
    host: '127.0.0.1',
    port: 8470,
    databaseUrl: undefined,
    dataDir: '.wuwatch-data',
    logLevel: 'info',
    tls: undefined,
    adminToken: undefined,
    agent: { maxPayloadBytes: 1024 * 1024, heartbeatSeconds: 30, maxConcurrentWrites: 8 },
    status: { silentAfterMinutes: 15, staleAfterIntervals: 3, defaultDetectionIntervalHours: 22, sweepSeconds: 30 },
  });
});

test('environment variables map to their keys', (t) => {
  const c = loadConfig({
    env: {
      WUWATCH_HOST: '0.0.0.0',
      WUWATCH_PORT: '9000',
      DATABASE_URL: 'postgresql://wuwatch:s3cret@db:5432/wuwatch',
      WUWATCH_DATA_DIR: '/var/lib/wuwatch',
      WUWATCH_LOG_LEVEL: 'debug',
      WUWATCH_ADMIN_TOKEN: 'a'.repeat(32),
      WUWATCH_TLS_CERT: '/etc/wuwatch/cert.pem',
      WUWATCH_TLS_KEY: '/etc/wuwatch/key.pem',
      UNRELATED: 'ignored',
    },
  });
  t.like(c, {
    host: '0.0.0.0',
    port: 9000,
    dataDir: '/var/lib/wuwatch',
    logLevel: 'debug',
    tls: { certFile: '/etc/wuwatch/cert.pem', keyFile: '/etc/wuwatch/key.pem' },
  });
  t.is(c.databaseUrl?.reveal(), 'postgresql://wuwatch:s3cret@db:5432/wuwatch');
  t.is(c.adminToken?.reveal(), 'a'.repeat(32));
  t.is(loadConfig({ env: { WUWATCH_PORT: '' } }).port, 8470, 'an empty variable counts as unset');
});

test('file, then environment, then overrides (CLI flags); nested sections merge key by key', (t) => {
  const path = file('precedence.json', {
    port: 8000,
    host: '10.0.0.5',
    logLevel: 'warn',
    status: { silentAfterMinutes: 30, staleAfterIntervals: 2 },
    agent: { heartbeatSeconds: 10 },
  });
  const c = loadConfig({
    file: path,
    env: { WUWATCH_PORT: '8100', WUWATCH_LOG_LEVEL: 'error' },
    overrides: { port: 8200 },
  });
  t.is(c.port, 8200, 'override beats env beats file');
  t.is(c.logLevel, 'error', 'env beats file');
  t.is(c.host, '10.0.0.5', 'file beats default');
  t.deepEqual(c.status, {
    silentAfterMinutes: 30,
    staleAfterIntervals: 2,
    defaultDetectionIntervalHours: 22,
    sweepSeconds: 30,
  });
  t.deepEqual(c.agent, {
    maxPayloadBytes: 1024 * 1024,
    heartbeatSeconds: 10,
    maxConcurrentWrites: 8,
    maxBatchesPerWrite: 64,
    maxFutureSkewSeconds: 2_592_000,
    maxEventAgeDays: 3650,
  });
  t.is(loadConfig({ env: { WUWATCH_CONFIG: path } }).port, 8000, 'WUWATCH_CONFIG names the file');
});

test('invalid values fail with WUW_CONFIG_INVALID naming the key', (t) => {
  const cases: [string, () => unknown, RegExp][] = [
    ['port from env', () => loadConfig({ env: { WUWATCH_PORT: 'eighty' } }), /port/],
    ['port out of range', () => loadConfig({ env: {}, overrides: { port: 70000 } }), /port/],
    ['log level', () => loadConfig({ env: { WUWATCH_LOG_LEVEL: 'loud' } }), /logLevel/],
    ['database URL', () => loadConfig({ env: { DATABASE_URL: 'not a url' } }), /databaseUrl/],
    [
      'short admin token',
      () => loadConfig({ env: { WUWATCH_ADMIN_TOKEN: 'short' } }),
      /adminToken must be at least 24 characters/,
    ],
    ['half a TLS pair', () => loadConfig({ env: { WUWATCH_TLS_CERT: '/c.pem' } }), /tls\.keyFile/],
    [
      'nested threshold',
      () => loadConfig({ file: file('neg.json', { status: { silentAfterMinutes: -1 } }), env: {} }),
      /status\.silentAfterMinutes/,
    ],
    ['unknown key', () => loadConfig({ file: file('typo.json', { prot: 1 }), env: {} }), /prot/],
    [
      'unknown nested key',
      () => loadConfig({ file: file('typo2.json', { agent: { heartbeat: 5 } }), env: {} }),
      /heartbeat/,
    ],
  ];
  for (const [name, fn, key] of cases) {
    const err = configError(t, fn);
    t.is(err.code, 'WUW_CONFIG_INVALID', name);
    t.regex(err.message, key, name);
    t.regex(err.message, /Fix the value named above/, name);
  }
});

test('an unreadable or non-object config file is reported with its path', (t) => {
  const missing = join(dir, 'absent.json');
  const unreadable = configError(t, () => loadConfig({ file: missing, env: {} }));
  t.is(unreadable.code, 'WUW_FILE_UNREADABLE');
  t.true(unreadable.message.includes(missing));
  for (const content of ['{not json', '[1,2]', '"text"']) {
    const p = file('bad.json', content);
    const err = configError(t, () => loadConfig({ file: p, env: {} }));
    t.is(err.code, 'WUW_CONFIG_INVALID');
    t.true(err.message.includes(p));
  }
});

test('the result is deeply frozen', (t) => {
  const c = loadConfig({ env: { WUWATCH_TLS_CERT: '/c', WUWATCH_TLS_KEY: '/k' } });
  t.true(Object.isFrozen(c));
  t.true(Object.isFrozen(c.status));
  t.true(Object.isFrozen(c.agent));
  t.true(Object.isFrozen(c.tls));
  t.throws(() => {
    (c as { port: number }).port = 1;
  });
  t.throws(() => {
    (c.status as { silentAfterMinutes: number }).silentAfterMinutes = 1;
  });
});

test('redactConfig hides the admin token and the database password, and leaves the config itself intact', (t) => {
  const token = 'tok-' + 'x'.repeat(30);
  const c = loadConfig({
    env: { DATABASE_URL: 'postgresql://wuwatch:pa55w0rd@db.internal:5432/wuwatch', WUWATCH_ADMIN_TOKEN: token },
  });
  const r = redactConfig(c);
  const text = JSON.stringify(r);
  t.false(text.includes('pa55w0rd'));
  t.false(text.includes(token));
  t.is(r.adminToken, '[redacted]');
  t.regex(String(r.databaseUrl), /^postgresql:\/\/wuwatch:.*redacted.*@db\.internal:5432\/wuwatch$/);
  t.is(c.adminToken?.reveal(), token);
  t.true(c.databaseUrl?.reveal().includes('pa55w0rd'));
  const plain = redactConfig(loadConfig({ env: { DATABASE_URL: 'postgresql://db.internal/wuwatch' } }));
  t.is(plain.databaseUrl, 'postgresql://db.internal/wuwatch', 'nothing to hide, nothing changed');
  t.is(plain.adminToken, undefined);
});

test('an alertmanager channel whose ttlMinutes does not outlive the repeat interval is refused', (t) => {
  const err = t.throws(() =>
    loadConfig({
      env: {},
      overrides: {
        alerts: {
          rules: { repeatIntervalMinutes: 240 },
          channels: [{ type: 'alertmanager', url: 'http://am:9093', ttlMinutes: 60 }],
        },
      },
    }),
  );
  t.regex(err.message, /more than alerts\.rules\.repeatIntervalMinutes \(240\).*at alerts\.channels\[0\]\.ttlMinutes/);
});
