// The Operational channel's state from `wevtutil gl`: a disabled channel and a missing wevtutil are said, not silent.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import type { CommandRunner } from '../src/platform/index.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHANNEL_FILE,
  channelStateData,
  createSources,
  parseChannelConfig,
  readChannelState,
} from '../src/sources/index.js';
import { diagnose } from '../src/diagnose/index.js';
import { parsePolicy } from '@wuwatch/core';

const fixture = (name: string): Buffer =>
  readFileSync(fileURLToPath(new URL(`./fixtures/sources/wevtutil/${name}`, import.meta.url)));
const ENV = { SystemRoot: 'C:\\Windows' };

test('wevtutil gl: "enabled: false" is disabled; Wine\'s empty answer (captured) is unknown, not enabled', (t) => {
  // The layout of Windows' `wevtutil gl` (its enabled: line is not localized).
  t.deepEqual(parseChannelConfig(fixture('gl-operational-disabled.txt')), { state: 'disabled' });
  t.deepEqual(
    parseChannelConfig(
      fixture('gl-operational-disabled.txt').toString('utf8').replace('enabled: false', 'enabled: true'),
    ),
    { state: 'enabled' },
  );
  t.deepEqual(parseChannelConfig(fixture('gl-wine.txt')), { state: 'unknown', detail: 'wevtutil gl printed nothing' });
});

test('readChannelState runs wevtutil gl on the Operational channel by absolute path; no wevtutil is its own state', async (t) => {
  const runner = new RecordingRunner().on('wevtutil.exe', { stdout: fixture('gl-operational-disabled.txt') });
  t.deepEqual(await readChannelState(runner, { env: ENV }), { state: 'disabled' });
  t.is(runner.calls[0]!.file, 'C:\\Windows\\System32\\wevtutil.exe');
  t.deepEqual(runner.calls[0]!.args, ['gl', 'Microsoft-Windows-WindowsUpdateClient/Operational']);
  const missing: CommandRunner = {
    run: async (file, args) => {
      throw makeError('COMMAND_FAILED', [`${file} ${args.join(' ')}`, 'the program was not found']);
    },
  };
  t.like(await readChannelState(missing, { env: ENV }), { state: 'no_wevtutil' });
});

const POLICY = parsePolicy(
  'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]\r\n',
);

test('diagnose: a disabled channel is a problem with the command that enables it; no wevtutil is a note', (t) => {
  const base = { policy: POLICY, probe: null, detections: [], wua: null, now: '2024-03-07T12:00:00Z' };
  const off = diagnose({ ...base, eventChannel: { state: 'disabled' } });
  t.is(off.verdict, 'problem');
  t.is(off.findings[0]!.code, 'EVENT_CHANNEL_DISABLED');
  t.regex(off.text, /wevtutil sl Microsoft-Windows-WindowsUpdateClient\/Operational \/e:true/);
  const none = diagnose({
    ...base,
    eventChannel: { state: 'no_wevtutil', detail: 'C:\\Windows\\System32\\wevtutil.exe was not found' },
  });
  t.true(none.findings.some((f) => f.code === 'NO_WEVTUTIL' && f.severity === 'note'));
  t.not(none.verdict, 'problem', 'the rest of the verdict stands on policy, probe and WUA');
});

test('the wire data of each state: a missing wevtutil and unreadable output are both unavailable, with the detail', (t) => {
  const name = 'Microsoft-Windows-WindowsUpdateClient/Operational';
  t.deepEqual(channelStateData({ state: 'enabled' }), {
    source: 'event_channel',
    name,
    state: 'enabled',
    reason: null,
  });
  t.like(channelStateData({ state: 'disabled' }), { state: 'disabled' });
  t.like(channelStateData({ state: 'no_wevtutil', detail: 'C:\\Windows\\System32\\wevtutil.exe was not found' }), {
    state: 'unavailable',
    reason: 'C:\\Windows\\System32\\wevtutil.exe was not found',
  });
  t.like(channelStateData({ state: 'unknown', detail: 'wevtutil gl printed nothing' }), {
    state: 'unavailable',
    reason: 'wevtutil gl printed nothing',
  });
});

test('a simulate folder: the captured wevtutil gl output decides; without it nothing is known (not "disabled")', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-channel-'));
  try {
    const sources = createSources({
      platform: 'simulate',
      simulateDir: dir,
      runner: new RecordingRunner(),
      stateDir: dir,
    });
    t.is(await sources.channel.read(), null);
    await writeFile(join(dir, CHANNEL_FILE), fixture('gl-operational-disabled.txt'));
    t.deepEqual(await sources.channel.read(), { state: 'disabled' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
