// First start of this version on the state directory of an agent that kept its tail position in
// tail-checkpoint.json: migrated into the spool without losing or repeating a log event.
import test, { type ExecutionContext } from 'ava';
import { cp, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { WuLogParser, type Finding } from '@wuwatch/core';
import { LEGACY_CHECKPOINT_FILE, migrateLegacyCheckpoint } from '../src/runtime/migrate-checkpoint.js';
import { readTailCursor } from '../src/runtime/tail-cursor.js';
import { logFindingToEvent } from '../src/runtime/to-events.js';
import { Spool } from '../src/spool/index.js';
import { fileIdOf, hashHead, HEAD_BYTES } from '../src/tail/index.js';
import { cycles, makeSimDir, startSimAgent, waitFor } from './helpers/sim.js';
import { spooledLogEvents, TailLife } from './helpers/tail-life.js';

const WSUS = 'http://wsus.corp.example:8530';
/** The log in six chunks of ten cycles; the last cycle of chunk 2 is cut in two by the chunk boundary. */
const TEXT = Array.from({ length: 6 }, (_, i) =>
  cycles('2026-11-20', i * 10, i * 10 + 9, WSUS, i % 2 ? null : '0x80244022'),
).join('');
const LINES = TEXT.split('\r\n').slice(0, -1);
const CHUNKS = Array.from({ length: 6 }, (_, i) =>
  // Six lines per cycle; chunk boundaries two lines into a cycle, so a cycle is open at every checkpoint.
  Buffer.from(LINES.slice(i === 0 ? 0 : i * 60 + 2, i === 5 ? LINES.length : (i + 1) * 60 + 2).join('\r\n') + '\r\n'),
);
const ends = CHUNKS.reduce<number[]>((acc, c) => [...acc, (acc.at(-1) ?? 0) + c.length], []);
const quiet = pino({ level: 'silent' });

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-migrate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface OldRun {
  /** Chunks whose events the old agent spooled. */
  spooled: number;
  /** Chunks before its checkpoint (0: the checkpoint of a new file, at offset 0). */
  checkpointAt: number;
  /** The oldest checkpoint format: a line count only, no parser state, no log seq. */
  linesOnly?: boolean;
}

/**
 * The state directory an old agent left: it spooled the events of `spooled` chunks (a probe event among them) and
 * saved its checkpoint (offset, parser state, seq of the last log event spooled) after `checkpointAt` of them.
 */
async function oldAgentState(dir: string, run: OldRun): Promise<{ state: string; log: string }> {
  const log = join(dir, 'WindowsUpdate.log');
  await writeFile(log, TEXT);
  const state = join(dir, 'state');
  const spool = await Spool.open({ dir: join(state, 'spool') });
  const findings: Finding[] = [];
  const parser = new WuLogParser({ onFinding: (f) => findings.push(f) });
  const st = await stat(log, { bigint: true });
  const head = (await readFile(log)).subarray(0, HEAD_BYTES);
  const position = (offset: number) => ({
    path: log,
    fileId: fileIdOf(st),
    offset,
    headHash: hashHead(head),
    headLength: head.length,
  });
  let checkpoint: unknown = { checkpoint: position(0), parser: null, logSeq: 0 };
  for (let i = 0; i < run.spooled; i++) {
    parser.push(CHUNKS[i]!);
    const now = new Date();
    const stored = await spool.append(findings.splice(0).map((f) => logFindingToEvent(f, 0, now)));
    await spool.append([{ time: now.toISOString(), kind: 'agent_started', data: { version: '0.0.9', mode: 'log' } }]);
    if (i + 1 === run.checkpointAt) {
      checkpoint = run.linesOnly
        ? { checkpoint: position(ends[i]!), lines: parser.snapshot().lineNo }
        : { checkpoint: position(ends[i]!), parser: parser.snapshot(), logSeq: stored.at(-1)?.seq ?? 0 };
    }
  }
  await spool.close();
  await writeFile(join(state, LEGACY_CHECKPOINT_FILE), JSON.stringify(checkpoint));
  return { state, log };
}

/** This version's first start: the migration, then the tail to the end of the log. */
async function firstStart(s: { state: string; log: string }): Promise<void> {
  const spool = await Spool.open({ dir: join(s.state, 'spool') });
  await migrateLegacyCheckpoint({ stateDir: s.state, logPath: s.log, offsetMinutes: 0, spool, log: quiet });
  await spool.close();
  const life = await TailLife.start(s.state, s.log, {}, { chunkBytes: 8192 });
  await life.poll();
  await life.poll();
  await life.stop();
}

/** The log events of an agent of this version that read the whole log in one go. */
async function uninterrupted(t: ExecutionContext): Promise<string[]> {
  const dir = await tempDir(t);
  const log = join(dir, 'WindowsUpdate.log');
  await writeFile(log, TEXT);
  const life = await TailLife.start(join(dir, 'state'), log);
  await life.poll();
  await life.stop();
  return spooledLogEvents(join(dir, 'state'));
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

for (const run of [
  { spooled: 5, checkpointAt: 2, what: 'three chunks spooled past the checkpoint' },
  { spooled: 3, checkpointAt: 3, what: 'the checkpoint at the end of what was spooled' },
  { spooled: 2, checkpointAt: 0, what: 'the checkpoint of a new file at offset 0, two chunks spooled past it' },
]) {
  test(`migrated without loss or repeat: ${run.what}`, async (t) => {
    const want = await uninterrupted(t);
    const s = await oldAgentState(await tempDir(t), run);
    await firstStart(s);
    t.deepEqual(await spooledLogEvents(s.state), want);
    t.false(await exists(join(s.state, LEGACY_CHECKPOINT_FILE)), 'the old file is gone');
  });
}

test('the oldest format (a line count only): goes on with that count; the cycle open at it comes with an unknown start', async (t) => {
  const want = await uninterrupted(t);
  const s = await oldAgentState(await tempDir(t), { spooled: 3, checkpointAt: 3, linesOnly: true });
  await firstStart(s);
  const got = await spooledLogEvents(s.state);
  const missing = want.filter((e) => !got.includes(e));
  const extra = got.filter((e) => !want.includes(e));
  t.is(missing.length, 1, 'one cycle differs');
  t.is(extra.length, 1);
  t.deepEqual(
    got.filter((e) => !extra.includes(e)),
    want.filter((e) => !missing.includes(e)),
    'nothing repeated, line numbers go on',
  );
  // That format saved no parser state: the cycle open at its offset (its START before it) is reported from its END
  // alone, with its real outcome and end time but without what only the START line said (issue 15).
  type Detection = [
    string,
    string,
    { line: number; outcome: string; attemptKey: string | null; caller: string | null },
  ];
  const [kind, time, data] = JSON.parse(missing[0]!) as Detection;
  const [kind2, time2, data2] = JSON.parse(extra[0]!) as Detection;
  t.is(kind, 'detection');
  t.true(data.line <= 182, `its START (line ${data.line}) is before the checkpoint (after line 182)`);
  t.is(kind2, 'detection');
  t.is(time2, time);
  t.is(data2.outcome, data.outcome);
  t.true(data2.line > 182);
  t.like(data2, { attemptKey: null, caller: null });
});

test('killed after the migration committed, before the old file was deleted: the next start ignores it', async (t) => {
  const want = await uninterrupted(t);
  const s = await oldAgentState(await tempDir(t), { spooled: 4, checkpointAt: 1 });
  const old = await readFile(join(s.state, LEGACY_CHECKPOINT_FILE), 'utf8');
  const spool = await Spool.open({ dir: join(s.state, 'spool') });
  await migrateLegacyCheckpoint({ stateDir: s.state, logPath: s.log, offsetMinutes: 0, spool, log: quiet });
  await spool.close();
  await writeFile(join(s.state, LEGACY_CHECKPOINT_FILE), old); // as if the delete never happened
  await firstStart(s);
  t.deepEqual(await spooledLogEvents(s.state), want);
  t.false(await exists(join(s.state, LEGACY_CHECKPOINT_FILE)));
});

test('a damaged old checkpoint: the log is read again from its start (nothing lost) and the file goes', async (t) => {
  const want = await uninterrupted(t);
  const s = await oldAgentState(await tempDir(t), { spooled: 2, checkpointAt: 2 });
  await writeFile(join(s.state, LEGACY_CHECKPOINT_FILE), '{"checkpoint": {');
  await firstStart(s);
  const got = await spooledLogEvents(s.state);
  t.true(
    want.every((e) => got.includes(e)),
    'every event is there',
  );
  t.false(await exists(join(s.state, LEGACY_CHECKPOINT_FILE)));
});

test('the log replaced while the old agent was down: its spooled events are not repeated, the new file is read from 0', async (t) => {
  const s = await oldAgentState(await tempDir(t), { spooled: 4, checkpointAt: 2 });
  const before = await spooledLogEvents(s.state);
  await rename(s.log, `${s.log}.old`);
  const fresh = cycles('2026-11-21', 0, 4, WSUS, null);
  await writeFile(s.log, fresh);
  await firstStart(s);
  const got = await spooledLogEvents(s.state);
  t.deepEqual(got.slice(0, before.length), before, 'what was spooled stays, once');
  t.is(got.length - before.length, 5, 'the five cycles of the new file, and nothing of the old one again');
});

/** A URL on 127.0.0.1 where nothing listens. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

test('the real agent migrates an old state directory on its first start (collector out of reach)', async (t) => {
  const want = await uninterrupted(t);
  const root = await tempDir(t);
  const dir = await makeSimDir(root, 'srv-upgrade', WSUS, TEXT);
  // The old agent's state, in the simulate dir's state folder, for this very log file.
  const old = await oldAgentState(await tempDir(t), { spooled: 5, checkpointAt: 2 });
  const oldCp = JSON.parse(await readFile(join(old.state, LEGACY_CHECKPOINT_FILE), 'utf8')) as {
    checkpoint: { path: string; fileId: string };
  };
  const st = await stat(join(dir, 'WindowsUpdate.log'), { bigint: true });
  oldCp.checkpoint = { ...oldCp.checkpoint, path: join(dir, 'WindowsUpdate.log'), fileId: fileIdOf(st) };
  await cp(join(old.state, 'spool'), join(dir, 'state', 'spool'), { recursive: true });
  await writeFile(join(dir, 'state', LEGACY_CHECKPOINT_FILE), JSON.stringify(oldCp));
  const agent = await startSimAgent(dir, await closedPortUrl(), { agentId: 'a1', token: 't1' }, 'srv-upgrade');
  try {
    await waitFor(
      async () => ((await readTailCursor(join(dir, 'state')))?.position.offset === TEXT.length ? true : undefined),
      20_000,
      'the tail at the end of the log',
    );
  } finally {
    await agent.stop(0);
  }
  t.deepEqual(await spooledLogEvents(join(dir, 'state')), want);
  t.false(await exists(join(dir, 'state', LEGACY_CHECKPOINT_FILE)));
});
