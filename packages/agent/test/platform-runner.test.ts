import test from 'ava';
import { isWuwatchError } from '@wuwatch/core';
import { RecordingRunner, displayCommand, processRunner, quoteWindowsArg } from '../src/platform/index.js';

// What CommandLineToArgvW (and the MSVC runtime) read back from each quoted form.
const QUOTING: [string, string][] = [
  ['plain', 'plain'],
  ['', '""'],
  ['two words', '"two words"'],
  ['C:\\Program Files\\wuwatch\\', '"C:\\Program Files\\wuwatch\\\\"'],
  ['say "hi"', '"say \\"hi\\""'],
  ['a\\"b', '"a\\\\\\"b"'],
  ['C:\\no\\spaces', 'C:\\no\\spaces'],
  ["*[System[Provider[@Name='X'] and EventRecordID>5]]", `"*[System[Provider[@Name='X'] and EventRecordID>5]]"`],
];

for (const [arg, quoted] of QUOTING) {
  test(`quoteWindowsArg(${JSON.stringify(arg)})`, (t) => {
    t.is(quoteWindowsArg(arg), quoted);
  });
}

test('displayCommand quotes only what needs it', (t) => {
  t.is(
    displayCommand('C:\\Program Files\\wuwatch\\wuwatch-agent-service.exe', ['install']),
    '"C:\\Program Files\\wuwatch\\wuwatch-agent-service.exe" install',
  );
});

const node = process.execPath;
const ECHO_ARGV = 'process.stdout.write(JSON.stringify(process.argv.slice(1)))';

test('processRunner passes every argument as one argv element and never through a shell', async (t) => {
  const tricky = ['two words', 'say "hi"', '$(echo injected)', '; echo injected', '*[System[EventRecordID>5]]', ''];
  const r = await processRunner().run(node, ['-e', ECHO_ARGV, ...tricky]);
  t.is(r.code, 0);
  t.deepEqual(JSON.parse(r.stdout.toString('utf8')), tricky);
});

test('processRunner returns non-zero exit codes and both streams as bytes', async (t) => {
  const r = await processRunner().run(node, [
    '-e',
    'process.stdout.write("out");process.stderr.write("err");process.exit(3)',
  ]);
  t.is(r.code, 3);
  t.true(Buffer.isBuffer(r.stdout));
  t.is(r.stdout.toString(), 'out');
  t.is(r.stderr.toString(), 'err');
});

test('processRunner kills a process that outlives its timeout', async (t) => {
  const started = Date.now();
  const err = await t.throwsAsync(processRunner().run(node, ['-e', 'setTimeout(() => {}, 30000)'], { timeoutMs: 200 }));
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /no answer within 200 ms/);
  t.true(Date.now() - started < 10_000);
});

test('processRunner reports a missing program as a catalogued error', async (t) => {
  const err = await t.throwsAsync(processRunner().run('/nonexistent/wevtutil.exe', ['qe', 'System']));
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /the program was not found/);
});

test('RecordingRunner records calls and answers from rules in order', async (t) => {
  const runner = new RecordingRunner()
    .once('reg.exe', { code: 1, stderr: 'ERROR: not found' })
    .on('reg', { stdout: 'second' })
    .on((c) => c.args[0] === 'boom', new Error('spawn failed'));
  const first = await runner.run('C:\\Windows\\System32\\reg.exe', ['query', 'X'], { timeoutMs: 5 });
  t.is(first.code, 1);
  t.is(first.stderr.toString(), 'ERROR: not found');
  const second = await runner.run('C:\\Windows\\System32\\REG.EXE', ['query', 'Y']);
  t.is(second.stdout.toString(), 'second');
  await t.throwsAsync(runner.run('x', ['boom']), { message: 'spawn failed' });
  t.deepEqual(
    runner.calls.map((c) => c.args),
    [['query', 'X'], ['query', 'Y'], ['boom']],
  );
  t.deepEqual(runner.calls[0]!.opts, { timeoutMs: 5 });
});

test('RecordingRunner refuses a command it has no reply for', async (t) => {
  const err = await t.throwsAsync(new RecordingRunner().run('netsh.exe', ['winhttp', 'show', 'proxy']));
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /netsh\.exe winhttp show proxy/);
});
