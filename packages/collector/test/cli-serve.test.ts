// `wuwatch migrate` and `wuwatch config check` in-process against a real PostgreSQL: people's output on stdout,
// logs on stderr, one line per error with the documented exit code; and a non-JSON answer (a proxy's HTML page)
// reported in one line.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { createEmptyTestDatabase } from './helpers/db.js';

const dir = mkdtempSync(join(tmpdir(), 'wuwatch-cli-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

test('migrate: one human line on stdout, no JSON log lines there; a second run says up to date', async (t) => {
  const database = await createEmptyTestDatabase();
  try {
    const first = await runCli(['migrate'], { DATABASE_URL: database.url });
    t.is(first.code, 0, first.err);
    t.regex(first.out, /^applied \d+ migration\(s\) to PostgreSQL 127\.0\.0\.1:5432\/wuwatch_test_\w+: \d{14}_/);
    t.is(first.out.trimEnd().split('\n').length, 1);
    t.false(first.out.includes('{'), 'no JSON on stdout');
    t.false(/"level":30/.test(first.err), 'no info log lines at the default level');
    const again = await runCli(['migrate'], { DATABASE_URL: database.url });
    t.is(again.code, 0);
    t.regex(again.out, /^database schema is up to date \(PostgreSQL 127\.0\.0\.1:5432\/wuwatch_test_\w+\)\n$/);
    const verbose = await runCli(['migrate', '--verbose'], { DATABASE_URL: database.url });
    t.regex(verbose.err, /^\{.*"level":/m, 'with --verbose the log goes to stderr');
    t.false(verbose.out.includes('{'));
  } finally {
    await database.drop();
  }
});

test('migrate: an unreachable database is exit 1 with one line naming the problem', async (t) => {
  const r = await runCli(['migrate'], { DATABASE_URL: 'postgresql://nobody@127.0.0.1:9/none' });
  t.is(r.code, 1);
  t.is(r.out, '');
  t.regex(r.err.trimEnd().split('\n').at(-1)!, /^wuwatch migrate: WUW_DATABASE/);
});

test('config check: prints the effective config, defaults filled in and every secret redacted', async (t) => {
  const secrets = ['admin-token-that-is-long-enough-123', 'hunter2hunter2hunter2', 'T000/B000/XXXX', 'smtp-pass-9'];
  const cfg = file('ok.json', {
    databaseUrl: `postgresql://wuwatch:${secrets[1]}@db.example:5432/wuwatch`,
    adminToken: secrets[0],
    alerts: {
      channels: [
        { type: 'webhook', name: 'ops', url: 'https://hooks.example/x', secret: secrets[1] },
        { type: 'slack', url: `https://hooks.slack.com/services/${secrets[2]}` },
        { type: 'email', smtp: { host: 'mail', user: 'u', pass: secrets[3] }, from: 'a@b.c', to: ['o@b.c'] },
        { type: 'alertmanager', url: 'http://am.example:9093' },
      ],
    },
  });
  const r = await runCli(['config', 'check', cfg]);
  t.is(r.code, 0, r.err);
  t.is(r.err, `config OK: ${cfg}\n`);
  const effective = JSON.parse(r.out) as Record<string, unknown> & { alerts: { channels: Record<string, unknown>[] } };
  t.is(effective.port, 8470, 'defaults are filled in');
  t.is(effective.adminToken, '[redacted]');
  t.regex(String(effective.databaseUrl), /^postgresql:\/\/wuwatch:%5Bredacted%5D@db\.example:5432\/wuwatch$/);
  t.is(effective.alerts.channels[0]!.secret, '[redacted]');
  t.is(effective.alerts.channels[1]!.url, 'https://hooks.slack.com/…');
  t.is((effective.alerts.channels[2]!.smtp as { pass: string }).pass, '[redacted]');
  t.is(effective.alerts.channels[3]!.ttlMinutes, 300);
  for (const s of secrets) t.false(r.out.includes(s), `${s} is not printed`);
  t.deepEqual((await runCli(['config', 'check', '--config', cfg])).code, 0);
  t.deepEqual((await runCli(['config', 'check'], { WUWATCH_CONFIG: cfg })).code, 0);
});

test('config check: an invalid file, an unknown key, bad JSON, an unreadable TLS key: exit 2, one line', async (t) => {
  const cases: [string, RegExp][] = [
    [file('port.json', { port: 'eighty' }), /WUW_CONFIG_INVALID|Invalid configuration: .*port/],
    [file('unknown.json', { colour: 'blue' }), /Invalid configuration: .*colour/],
    [file('bad.json', '{ "port": '), /is not a JSON object/],
    [
      file('tls.json', { tls: { certFile: '/nonexistent/c.pem', keyFile: '/nonexistent/k.pem' } }),
      /tls\.certFile: cannot read/,
    ],
    [join(dir, 'missing.json'), /Cannot read .*missing\.json/],
  ];
  for (const [path, message] of cases) {
    const r = await runCli(['config', 'check', path]);
    t.is(r.code, 2, path);
    t.is(r.out, '', path);
    t.is(r.err.trimEnd().split('\n').length, 1, path);
    t.regex(r.err, /^wuwatch config: /, path);
    t.regex(r.err, message, path);
  }
});

test('a proxy answering HTML instead of JSON: exit 1 with one clear line, not a JSON parse error', async (t) => {
  const server = createServer((_req, res) => {
    res
      .writeHead(502, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>',
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const r = await runCli(['status', '--url', url, '--token', 'x']);
    t.is(r.code, 1);
    t.is(r.out, '');
    t.is(r.err.trimEnd().split('\n').length, 1);
    t.regex(
      r.err,
      /^wuwatch status: WUW_API_ANSWER_INVALID: http:\/\/127\.0\.0\.1:\d+\/v1\/summary answered HTTP 502 with text\/html \("502 Bad Gateway"\) instead of JSON\. Check --url/,
    );
    t.notRegex(r.err, /Unexpected token|SyntaxError/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('serve on a port already in use: exit 1 with one line naming the address, no stack trace', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'wuwatch-serve-'));
  try {
    const r = await runCli(['serve', '--host', '127.0.0.1', '--port', String(port)], {
      WUWATCH_DATA_DIR: dataDir,
      WUWATCH_LOG_LEVEL: 'silent',
    });
    t.is(r.code, 1);
    t.is(r.out, '');
    t.regex(r.err, new RegExp(`^wuwatch serve: EADDRINUSE: .*127\\.0\\.0\\.1:${port}\\n$`));
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
