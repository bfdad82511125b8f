// Issue 14, finding 1: the webhook signing secret, the Slack URL and the SMTP password were printed at start.
// Secrets are now Secret objects (config/secret.ts): this starts a collector with every secret set, drives the log
// paths that print config, URLs and errors, and greps the whole log output for each secret value.
import { createServer } from 'node:http';
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import test from 'ava';
import { loadConfig } from '../src/config/load.js';
import { Secret } from '../src/config/secret.js';
import { createRootLogger } from '../src/log/logger.js';
import { startCollector } from '../src/server.js';
import { createEmptyTestDatabase } from './helpers/db.js';

test('a collector with every secret set never writes one to its log', async (t) => {
  t.timeout(60_000);
  const S = {
    admin: 'admin-token-SEKRIT-a1b2c3d4e5f6a7b8',
    dbPass: 'db-pass-SEKRIT-9f8e7d',
    hookPath: 'hookpath-SEKRIT-0c1d2e',
    hookQuery: 'hookquery-SEKRIT-3f4a5b',
    hookSecret: 'hmac-key-SEKRIT-6c7d8e9f',
    slackPath: 'T000-SEKRIT-B000-XXXXXXXX',
    smtpPass: 'smtp-pass-SEKRIT-112233',
    amPass: 'am-pass-SEKRIT-445566',
  };
  // A receiver that fails every delivery, so the error paths log too.
  const receiver = createServer((req, res) => {
    req.resume();
    res.writeHead(500).end('nope');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  t.teardown(() => receiver.close());
  const port = (receiver.address() as { port: number }).port;
  const database = await createEmptyTestDatabase();
  t.teardown(() => database.drop());
  const dbUrl = new URL(database.url);
  dbUrl.password = S.dbPass; // the test server trusts local connections, so the password is carried, not checked

  const config = loadConfig({
    env: { DATABASE_URL: dbUrl.toString(), WUWATCH_ADMIN_TOKEN: S.admin },
    overrides: {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'trace',
      alerts: {
        schedule: '0 0 1 1 *',
        channels: [
          {
            type: 'webhook',
            name: 'hook',
            url: `http://127.0.0.1:${port}/hooks/${S.hookPath}?token=${S.hookQuery}`,
            secret: S.hookSecret,
          },
          { type: 'slack', name: 'slack', url: `http://127.0.0.1:${port}/services/${S.slackPath}` },
          {
            type: 'email',
            name: 'mail',
            smtp: { host: '127.0.0.1', port: 1, user: 'wuwatch', pass: S.smtpPass, timeoutMs: 2000 },
            from: 'wuwatch@example.com',
            to: ['ops@example.com'],
          },
          { type: 'alertmanager', name: 'am', url: `http://admin:${S.amPass}@127.0.0.1:${port}/` },
        ],
      },
    },
  });
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const log = createRootLogger('trace', sink);
  const collector = await startCollector(config, log);
  try {
    for (const channel of ['hook', 'slack', 'mail', 'am']) {
      const res = await fetch(`${collector.url}/v1/notify-test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${S.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel }),
      });
      t.not(res.status, 200, `${channel}: the delivery fails, so its error is logged`);
      t.false((await res.text()).includes('SEKRIT'), `${channel}: the API error names no secret`);
    }
    // Careless code: the raw config, a secret in a template string, a secret inside an error.
    log.info({ config }, 'raw config object');
    log.error(
      { err: new Error(`could not use ${String(config.adminToken)} with ${String(config.databaseUrl)}`) },
      'an error',
    );
    log.info(`inspect: ${inspect(config, { depth: 10 })}`);
  } finally {
    await collector.close();
  }
  t.true(out.includes('starting wuwatch collector'));
  t.true(out.includes('[redacted]'));
  t.regex(out, /127\.0\.0\.1:\d+\/…/, 'channel URLs show scheme, host and port');
  for (const [name, value] of Object.entries(S)) t.false(out.includes(value), `${name} leaked into the log`);
  t.false(out.includes('SEKRIT'));
  t.is(config.adminToken?.reveal(), S.admin, 'the collector itself still has the value');
});

test('a Secret prints redacted through JSON, strings and inspect, and reveals on request', (t) => {
  const s = new Secret('hunter2-hunter2');
  t.is(JSON.stringify({ s }), '{"s":"[redacted]"}');
  t.is(String(s), '[redacted]');
  t.is('' + s.toString(), '[redacted]');
  t.is(inspect({ s }), '{ s: [redacted] }');
  t.is(s.reveal(), 'hunter2-hunter2');
});
