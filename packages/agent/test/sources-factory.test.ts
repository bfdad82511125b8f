import test from 'ava';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import { createSources } from '../src/sources/index.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url));

async function tempDir(t: { teardown: (fn: () => Promise<void>) => void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('simulate reads every source from captured files and keeps positions in the state dir', async (t) => {
  const sim = await tempDir(t, 'wuw-sim-');
  const state = await tempDir(t, 'wuw-state-');
  await copyFile(fixturePath('policy-utf16le.reg'), join(sim, 'policy.reg'));
  await copyFile(fixturePath('wua-script-output.txt'), join(sim, 'wua.json'));
  await copyFile(fixturePath('netsh-proxy.txt'), join(sim, 'proxy.txt'));
  await mkdir(join(sim, 'events'));
  await copyFile(fixturePath('events/operational.xml'), join(sim, 'events', 'operational.xml'));
  const runner = new RecordingRunner();
  const sources = createSources({ platform: 'simulate', simulateDir: sim, runner, stateDir: state });

  t.is((await sources.policy.read()).windowsUpdate.WUServer, 'https://wsus01.corp.example:8531');
  t.is((await sources.wua.read())?.lastSearchSuccessDate, '2024-03-05T09:14:04.000Z');
  t.is((await sources.proxy.read())?.url, 'proxy.corp.example:8080');
  const poll = await sources.events.poll();
  t.is(poll.events.length, 3);
  await sources.events.commit(poll.positions);
  const saved = JSON.parse(await readFile(join(state, 'event-positions.json'), 'utf8')) as { channels: object };
  t.deepEqual(saved.channels, { System: 0, 'Microsoft-Windows-WindowsUpdateClient/Operational': 4106 });
  t.deepEqual(runner.calls, [], 'simulate never runs a program');
});

test('a damaged positions file is reported through onDamagedState', async (t) => {
  const sim = await tempDir(t, 'wuw-sim-');
  const state = await tempDir(t, 'wuw-state-');
  await writeFile(join(state, 'event-positions.json'), 'garbage');
  const damaged: string[] = [];
  const sources = createSources({
    platform: 'simulate',
    simulateDir: sim,
    runner: new RecordingRunner(),
    stateDir: state,
    onDamagedState: (file) => damaged.push(file),
  });
  await sources.events.poll();
  t.deepEqual(damaged, [join(state, 'event-positions.json')]);
});

test('win32 routes each source to its Windows tool under %SystemRoot%', async (t) => {
  const state = await tempDir(t, 'wuw-state-');
  const runner = new RecordingRunner()
    .on('reg.exe', { code: 1, stderr: 'ERROR: The system was unable to find the specified registry key or value.' })
    .on('wevtutil.exe', { stdout: '<Events>\r\n</Events>\r\n' })
    .on('powershell.exe', { stdout: '{"lastSearchSuccessDate":null,"lastInstallationSuccessDate":null}' })
    .on('netsh.exe', { stdout: '\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n' });
  const sources = createSources({ platform: 'win32', runner, stateDir: state, env: { SystemRoot: 'D:\\WIN' } });
  await sources.policy.read();
  await sources.events.poll();
  await sources.wua.read();
  t.is(await sources.proxy.read(), null);
  t.deepEqual(
    runner.calls.map((c) => c.file),
    [
      'D:\\WIN\\System32\\reg.exe',
      'D:\\WIN\\System32\\wevtutil.exe',
      'D:\\WIN\\System32\\wevtutil.exe',
      'D:\\WIN\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      'D:\\WIN\\System32\\netsh.exe',
    ],
  );
});

test('simulate without a directory is a configuration error', (t) => {
  const err = t.throws(() => createSources({ platform: 'simulate', runner: new RecordingRunner(), stateDir: '/tmp' }));
  t.true(isWuwatchError(err, 'CONFIG_INVALID'));
});
