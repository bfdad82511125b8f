import test from 'ava';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventsToFindings, isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import type { RecordedCall } from '../src/platform/index.js';
import {
  OPERATIONAL_CHANNEL,
  createEventSource,
  fileChannelReader,
  fileEventPositionStore,
  memoryEventPositionStore,
  wevtutilQueryArgs,
  windowsChannelReader,
} from '../src/sources/index.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url));
const fixture = (name: string): Buffer => readFileSync(fixturePath(name));
const ENV = { SystemRoot: 'C:\\Windows' };

test('the wevtutil query is one argv element per option; /q: carries the XPath without shell quotes', (t) => {
  t.deepEqual(wevtutilQueryArgs(OPERATIONAL_CHANNEL, 4103, 500), [
    'qe',
    'Microsoft-Windows-WindowsUpdateClient/Operational',
    '/q:*[System[EventRecordID>4103]]',
    '/f:xml',
    '/e:Events',
    '/c:500',
  ]);
  t.deepEqual(wevtutilQueryArgs('System', 0, 10), [
    'qe',
    'System',
    "/q:*[System[Provider[@Name='Microsoft-Windows-WindowsUpdateClient'] and EventRecordID>0]]",
    '/f:xml',
    '/e:Events',
    '/c:10',
  ]);
});

function wevtutil(replies: Record<string, Buffer | { code: number; stderr?: string }>): RecordingRunner {
  return new RecordingRunner().on('wevtutil.exe', (call: RecordedCall) => {
    const key = `${call.args[1]} ${call.args[2]}`;
    const reply = replies[key];
    if (reply === undefined) return new Error(`unexpected wevtutil call: ${key}`);
    return Buffer.isBuffer(reply) ? { stdout: reply } : reply;
  });
}

test('poll returns events above the persisted record ID per channel, System first, and does not move on its own', async (t) => {
  const runner = wevtutil({
    "System /q:*[System[Provider[@Name='Microsoft-Windows-WindowsUpdateClient'] and EventRecordID>0]]":
      fixture('wevtutil/system-after-0.xml'),
    [`${OPERATIONAL_CHANNEL} /q:*[System[EventRecordID>4103]]`]: fixture('wevtutil/operational-after-4103.xml'),
  });
  const store = memoryEventPositionStore({ [OPERATIONAL_CHANNEL]: 4103 });
  const source = createEventSource(windowsChannelReader(runner, { env: ENV }), store);
  const poll = await source.poll();
  t.deepEqual(
    poll.events.map((e) => [e.channel, e.recordId, e.eventId]),
    [
      ['System', 88231, 19],
      [OPERATIONAL_CHANNEL, 4104, 25],
      [OPERATIONAL_CHANNEL, 4105, 25],
      [OPERATIONAL_CHANNEL, 4106, 26],
    ],
  );
  t.deepEqual(poll.positions, { System: 88231, [OPERATIONAL_CHANNEL]: 4106 });
  t.false(poll.more);
  t.is(runner.calls[0]!.file, 'C:\\Windows\\System32\\wevtutil.exe');
  t.deepEqual(store.saved, []);
  // The events map to findings the collector understands.
  t.deepEqual(
    eventsToFindings(poll.events).map((f) => [f.kind, 'outcome' in f ? f.outcome : null]),
    [
      ['install', 'succeeded'],
      ['detection', 'failed'],
      ['detection', 'failed'],
      ['detection', 'succeeded'],
    ],
  );
  await source.commit(poll.positions);
  t.deepEqual(store.current, { System: 88231, [OPERATIONAL_CHANNEL]: 4106 });
});

test('a channel that does not exist (exit 15007) reads as empty; other failures are errors', async (t) => {
  const missing = new RecordingRunner().on('wevtutil', {
    code: 15007,
    stderr: 'Failed to query events. The specified channel could not be found.',
  });
  const poll = await createEventSource(windowsChannelReader(missing), memoryEventPositionStore()).poll();
  t.deepEqual(poll.events, []);
  t.deepEqual(poll.positions, { System: 0, [OPERATIONAL_CHANNEL]: 0 });

  const denied = new RecordingRunner().on('wevtutil', { code: 5, stderr: 'Failed to query events. Access is denied.' });
  const err = await t.throwsAsync(createEventSource(windowsChannelReader(denied), memoryEventPositionStore()).poll());
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /exit code 5: Failed to query events\. Access is denied\./);
});

test('a full page sets "more" so the caller polls again', async (t) => {
  const runner = new RecordingRunner().on('wevtutil', (call) =>
    call.args[1] === 'System'
      ? { stdout: fixture('wevtutil/empty.xml') }
      : { stdout: fixture('wevtutil/operational-after-4103.xml') },
  );
  const poll = await createEventSource(
    windowsChannelReader(runner),
    memoryEventPositionStore({ [OPERATIONAL_CHANNEL]: 4103 }),
    {
      pageSize: 3,
    },
  ).poll();
  t.true(poll.more);
  t.true(runner.calls.some((c) => c.args.includes('/c:3')));
});

test('a cleared log (newest record below the stored position) is read again from the start', async (t) => {
  const runner = new RecordingRunner().on('wevtutil', (call) => {
    if (call.args[1] === 'System') return { stdout: fixture('wevtutil/empty.xml') };
    if (call.args.includes('/rd:true'))
      return {
        stdout: fixture('wevtutil/operational-after-4103.xml')
          .toString()
          .replace(/<Event .*?<\/Event>\r\n/s, ''),
      };
    if (call.args[2] === '/q:*[System[EventRecordID>99999]]') return { stdout: fixture('wevtutil/empty.xml') };
    if (call.args[2] === '/q:*[System[EventRecordID>0]]')
      return { stdout: fixture('wevtutil/operational-after-4103.xml') };
    return new Error(`unexpected ${call.args.join(' ')}`);
  });
  const store = memoryEventPositionStore({ [OPERATIONAL_CHANNEL]: 99999, System: 5 });
  const poll = await createEventSource(windowsChannelReader(runner), store).poll();
  t.deepEqual(
    poll.events.map((e) => e.recordId),
    [4104, 4105, 4106],
  );
  t.is(poll.positions[OPERATIONAL_CHANNEL], 4106);
  t.true(runner.calls.some((c) => c.args.join(' ') === `qe ${OPERATIONAL_CHANNEL} /c:1 /rd:true /f:xml /e:Events`));
});

test('an idle channel whose newest record is past the position keeps its position', async (t) => {
  const runner = new RecordingRunner().on('wevtutil', (call) =>
    call.args.includes('/rd:true') && call.args[1] === 'System'
      ? { stdout: fixture('wevtutil/system-after-0.xml') }
      : { stdout: fixture('wevtutil/empty.xml') },
  );
  const poll = await createEventSource(
    windowsChannelReader(runner),
    memoryEventPositionStore({ System: 88231 }),
  ).poll();
  t.deepEqual(poll.positions, { System: 88231, [OPERATIONAL_CHANNEL]: 0 });
  t.deepEqual(poll.events, []);
});

test('the stand-in reads DIR/events/*.xml, keeps Windows Update events only and filters by position', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuw-events-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = memoryEventPositionStore();
  const source = createEventSource(fileChannelReader(dir), store);
  t.deepEqual((await source.poll()).events, [], 'no events folder yet');

  await mkdir(join(dir, 'events'));
  await copyFile(fixturePath('events/system.xml'), join(dir, 'events', '1-system.xml'));
  await copyFile(fixturePath('events/operational.xml'), join(dir, 'events', '2-operational.xml'));
  const first = await source.poll();
  t.deepEqual(
    first.events.map((e) => e.recordId),
    [88231, 88240, 4104, 4105, 4106],
    'the Service Control Manager event 88232 is not a Windows Update event',
  );
  await source.commit(first.positions);
  t.deepEqual((await source.poll()).events, []);

  const more = readFileSync(fixturePath('events/operational.xml'), 'utf8').replaceAll(
    '<EventRecordID>4106<',
    '<EventRecordID>4107<',
  );
  await writeFile(join(dir, 'events', '3-later.xml'), more);
  t.deepEqual(
    (await source.poll()).events.map((e) => e.recordId),
    [4107],
  );
});

test('positions survive in a JSON file; a damaged file is reported and read as empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuw-positions-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'nested', 'event-positions.json');
  const damaged: string[] = [];
  const store = fileEventPositionStore(file, { onDamaged: (_f, reason) => damaged.push(reason) });
  t.deepEqual(await store.load(), {});
  await store.save({ System: 88240, [OPERATIONAL_CHANNEL]: 4106 });
  t.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
    version: 1,
    channels: { System: 88240, [OPERATIONAL_CHANNEL]: 4106 },
  });
  t.deepEqual(await fileEventPositionStore(file).load(), { System: 88240, [OPERATIONAL_CHANNEL]: 4106 });
  await writeFile(file, '{"version":1,"channels":{"System":');
  t.deepEqual(await store.load(), {});
  await writeFile(file, '{"version":2,"channels":{}}');
  t.deepEqual(await store.load(), {});
  t.is(damaged.length, 2);
  t.is(damaged[0], 'not JSON');
});
