// The crash points the old two-store design (spool + tail-checkpoint.json) needed words for, on a real spool on disk:
// killed right before or right after any spool append (first catch-up, rotation), an append torn by the crash, and a
// file replaced or truncated while the agent was down. Every run must spool each log event exactly once, in order.
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, open, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { decodeFrame } from '../src/spool/frame.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cycle, cycles } from './helpers/sim.js';
import { spooledLogEvents, TailLife, type KillPlan } from './helpers/tail-life.js';

const WSUS = 'http://wsus.corp.example:8530';
const DAY = '2026-11-20';
// A cycle left open at the end of a file: ended once, with the file, whatever the crash.
const OPEN_CYCLE = cycle(DAY, 500, WSUS, '0x80244022').split('\r\n').slice(0, 3).join('\r\n') + '\r\n';
const FILE_A = cycles(DAY, 0, 39, WSUS, '0x80244022') + cycles(DAY, 40, 49, WSUS, null) + OPEN_CYCLE;
const FILE_B = cycles(DAY, 600, 629, WSUS, null) + cycles(DAY, 630, 639, WSUS, '0x8024401C');
const CHUNK_BYTES = 4096;

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-tail-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A state dir and a log path in a fresh folder, the log holding `content`. */
async function scene(root: string, content: string): Promise<{ state: string; log: string; dir: string }> {
  const dir = await mkdtemp(join(root, 's-'));
  const log = join(dir, 'WindowsUpdate.log');
  await writeFile(log, content);
  return { state: join(dir, 'state'), log, dir };
}

/** Polls `life` `n` times; true if it was killed meanwhile. */
async function polls(life: TailLife, n = 2): Promise<boolean> {
  for (let i = 0; i < n; i++) if ((await life.poll()) === 'killed') return true;
  return false;
}

/** After a kill: bury the dead life, start a new one and let it finish the log. */
async function recover(life: TailLife, s: { state: string; log: string }): Promise<void> {
  await life.bury();
  const next = await TailLife.start(s.state, s.log, {}, { chunkBytes: CHUNK_BYTES });
  await polls(next);
  await next.stop();
}

/** Lists what differs, or null. */
function difference(got: string[], want: string[]): string | null {
  if (got.length === want.length && got.every((k, i) => k === want[i])) return null;
  let first = 0;
  while (first < got.length && got[first] === want[first]) first++;
  return `${got.length}/${want.length} events, first difference at ${first}`;
}

/** First catch-up of FILE_A, killed as `plan` says, then a restart; the log events spooled. */
async function catchUp(
  root: string,
  plan: KillPlan,
  tear: Tear | null = null,
): Promise<{ events: string[]; appends: number }> {
  const s = await scene(root, FILE_A);
  const life = await TailLife.start(s.state, s.log, plan, { chunkBytes: CHUNK_BYTES });
  if (await polls(life)) {
    if (tear !== null) await tearLastAppend(s.state, life.diskBefore, life.spool.diskBytes, tear);
    await recover(life, s);
  } else await life.stop();
  return { events: await spooledLogEvents(s.state), appends: life.appends };
}

/** Where to cut an append torn by a crash: inside its cursor frame, just after it, among its events, before its end. */
type Tear = 'cursor' | 'after-cursor' | 'events' | 'last-byte';
const TEARS: readonly Tear[] = ['cursor', 'after-cursor', 'events', 'last-byte'];

/** Cuts the newest segment inside its last append (the spool held `from` bytes before it, `to` after). */
async function tearLastAppend(state: string, from: number, to: number, tear: Tear): Promise<void> {
  const dir = join(state, 'spool');
  const newest = join(
    dir,
    (await readdir(dir))
      .filter((n) => n.endsWith('.seg'))
      .sort()
      .at(-1)!,
  );
  const buf = await readFile(newest);
  const start = buf.length - (to - from);
  const first = decodeFrame(buf, start);
  if (!first.ok || first.cursor === undefined) throw new Error('the append does not start with its cursor');
  const cursorEnd = start + first.frameBytes;
  const at = {
    cursor: start + Math.floor(first.frameBytes / 2),
    'after-cursor': Math.min(cursorEnd + 5, buf.length - 1),
    events: Math.min(cursorEnd + Math.floor((buf.length - cursorEnd) / 2), buf.length - 1),
    'last-byte': buf.length - 1,
  }[tear];
  await truncate(newest, at);
}

test('first catch-up killed right before or right after any spool append: every log event once', async (t) => {
  const root = await tempDir(t);
  const { events: want, appends } = await catchUp(root, {});
  t.true(appends >= 8, `a catch-up of several chunks (${appends} appends)`);
  const bad: string[] = [];
  for (let n = 1; n <= appends; n++) {
    for (const plan of [{ before: n }, { after: n }]) {
      const diff = difference((await catchUp(root, plan)).events, want);
      if (diff !== null) bad.push(`${JSON.stringify(plan)}: ${diff}`);
    }
  }
  t.deepEqual(bad, []);
});

test('a spool append torn by the crash is cut whole on restart and read again: every log event once', async (t) => {
  const root = await tempDir(t);
  const { events: want, appends } = await catchUp(root, {});
  const bad: string[] = [];
  for (let n = 1; n <= appends; n++) {
    for (const tear of TEARS) {
      const diff = difference((await catchUp(root, { after: n }, tear)).events, want);
      if (diff !== null) bad.push(`append ${n} torn at ${tear}: ${diff}`);
    }
  }
  t.deepEqual(bad, []);
});

/** Reads FILE_A, rotates it away (rename) for FILE_B, then polls again, killed during that poll as `plan` says. */
async function rotation(root: string, plan: ((appendsSoFar: number) => KillPlan) | null, tear: Tear | null = null) {
  const s = await scene(root, FILE_A);
  const life = await TailLife.start(s.state, s.log, {}, { chunkBytes: CHUNK_BYTES });
  await polls(life, 1);
  const before = life.appends;
  await rename(s.log, join(s.dir, 'WindowsUpdate.old'));
  await writeFile(s.log, FILE_B);
  if (plan !== null) life.plan = plan(before);
  if (await polls(life)) {
    if (tear !== null) await tearLastAppend(s.state, life.diskBefore, life.spool.diskBytes, tear);
    await recover(life, s);
  } else await life.stop();
  return { events: await spooledLogEvents(s.state), rotationAppends: life.appends - before };
}

test('killed during a rotation (the new file announced, its first chunks): every event once, the open cycle ended once', async (t) => {
  const root = await tempDir(t);
  const { events: want, rotationAppends } = await rotation(root, null);
  t.true(rotationAppends >= 3, 'the new file is announced and read in chunks');
  t.is(
    want.filter((e) => e.includes('"line":' + (FILE_A.split('\n').length - 3))).length,
    1,
    'the open cycle ended once',
  );
  const bad: string[] = [];
  for (let k = 1; k <= rotationAppends; k++) {
    for (const [name, plan, tear] of [
      ['before', (b: number) => ({ before: b + k }), null],
      ['after', (b: number) => ({ after: b + k }), null],
      ['torn among its events', (b: number) => ({ after: b + k }), 'events'],
      ['torn in its cursor', (b: number) => ({ after: b + k }), 'cursor'],
    ] as const) {
      const diff = difference((await rotation(root, plan, tear)).events, want);
      if (diff !== null) bad.push(`${name} rotation append ${k}: ${diff}`);
    }
  }
  t.deepEqual(bad, []);
});

test('a file replaced or deleted and recreated while the agent was down: the old open cycle ended once, the new file read from 0', async (t) => {
  const root = await tempDir(t);
  const { events: want } = await rotation(root, null);
  for (const how of ['rename', 'delete'] as const) {
    for (const stop of ['clean', 'killed'] as const) {
      const s = await scene(root, FILE_A);
      const life = await TailLife.start(s.state, s.log, {}, { chunkBytes: CHUNK_BYTES });
      await polls(life, 1);
      // Killed after its last append: the spool is never closed (its meta file not saved).
      if (stop === 'clean') await life.stop();
      else await life.bury();
      if (how === 'rename') await rename(s.log, join(s.dir, 'WindowsUpdate.old'));
      else await rm(s.log);
      await writeFile(s.log, FILE_B);
      const next = await TailLife.start(s.state, s.log, {}, { chunkBytes: CHUNK_BYTES });
      await polls(next);
      await next.stop();
      t.is(difference(await spooledLogEvents(s.state), want), null, `${how}, ${stop}`);
    }
  }
});

test('a file truncated and rewritten in place while the agent was down: ended once and read from 0, as when running', async (t) => {
  const root = await tempDir(t);
  const shorter = cycles(DAY, 700, 709, WSUS, null);
  // Running: the truncation is seen between two polls of one life.
  const running = await scene(root, FILE_A);
  const one = await TailLife.start(running.state, running.log, {}, { chunkBytes: CHUNK_BYTES });
  await polls(one, 1);
  const fh = await open(running.log, 'r+');
  await fh.truncate(0);
  await fh.write(shorter);
  await fh.close();
  await polls(one);
  await one.stop();
  const want = await spooledLogEvents(running.state);
  t.true(want.length > 0);
  // Down: the same change while no agent runs.
  const down = await scene(root, FILE_A);
  const first = await TailLife.start(down.state, down.log, {}, { chunkBytes: CHUNK_BYTES });
  await polls(first, 1);
  await first.stop();
  const fh2 = await open(down.log, 'r+');
  await fh2.truncate(0);
  await fh2.write(shorter);
  await fh2.close();
  const second = await TailLife.start(down.state, down.log, {}, { chunkBytes: CHUNK_BYTES });
  await polls(second);
  await second.stop();
  t.is(difference(await spooledLogEvents(down.state), want), null);
});
