// Folding install events into a machine's install history (pure): failures per update since its last success, one
// install seen by the log and by event 20 counted once, cancelled installs shown but never counted.
import test from 'ava';
import type { WireEvent } from '@wuwatch/core';
import { installFailures } from '../src/alerts/install-rule.js';
import type { AlertMachineSnapshot } from '../src/alerts/types.js';
import { RECENT_INSTALLS } from '../src/machines/installs.js';
import { applyEvents, emptyProjection, type MachineProjection } from '../src/machines/projection.js';
import { coreAssessor } from '../src/server.js';
import { installEvent } from './helpers/events.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const HOUR = 3_600_000;
const at = (ms: number) => new Date(T0 + ms);
const apply = (events: WireEvent[], from: MachineProjection = emptyProjection()) =>
  applyEvents(from, events, coreAssessor);
const KB = 'KB5034441';
const TITLE = '2024-01 Security Update for Windows Server 2022 for x64-based Systems (KB5034441)';
const ID = 'A1B2C3D4-0000-4000-8000-00000000ABCD';

test('repeated failures of one update count up; its success resets the count; the newest failure is indexed', (t) => {
  const p = apply([
    installEvent(1, at(0), 'failed', { kb: KB, title: TITLE, updateId: ID }),
    installEvent(2, at(HOUR), 'failed', { kb: KB, title: TITLE, updateId: ID }),
    installEvent(3, at(2 * HOUR), 'failed', { kb: KB, title: TITLE, updateId: ID, hresult: '0x800F0922' }),
  ]);
  t.like(p.installs.updates[ID], {
    failures: 3,
    firstFailureAt: at(0).toISOString(),
    lastFailureAt: at(2 * HOUR).toISOString(),
    hresult: '0x800F0922',
    kb: KB,
  });
  t.deepEqual(p.lastInstallFailureAt, at(2 * HOUR));
  t.deepEqual(
    p.installs.recent.map((r) => r.at),
    [at(2 * HOUR), at(HOUR), at(0)].map((d) => d.toISOString()),
  );
  const q = apply([installEvent(4, at(3 * HOUR), 'succeeded', { kb: KB, title: TITLE, updateId: ID })], p);
  t.like(q.installs.updates[ID], { failures: 0, firstFailureAt: null, hresult: null });
  t.deepEqual(q.lastInstallFailureAt, at(2 * HOUR), 'the failure stays in the listing');
  t.deepEqual(q.lastInstallAt, at(3 * HOUR), 'the newest install of any outcome is indexed too');
  const r = apply([installEvent(5, at(HOUR / 2), 'cancelled', { kb: 'KB1' })], q);
  t.deepEqual(r.lastInstallAt, at(3 * HOUR), 'an older install arriving late does not move it back');
});

test('one install seen by the modern log (update ID only) and by event 20 (title, KB) counts once', (t) => {
  const p = apply([
    // LogHistory called. idUpdate={…}.1, resultMapped=80070643 — the log line names only the update ID.
    installEvent(1, at(0), 'failed', { updateId: ID, source: 'log' }),
    installEvent(2, at(30_000), 'failed', { updateId: ID, kb: KB, title: TITLE, source: 'event' }),
  ]);
  t.is(Object.keys(p.installs.updates).length, 1);
  t.like(p.installs.updates[ID], { failures: 1, kb: KB, title: TITLE });
  t.is(p.installs.recent.length, 1);
  t.like(p.installs.recent[0], { kb: KB, title: TITLE, updateId: ID });
  // Two hours later it fails again: a new attempt.
  const q = apply([installEvent(3, at(2 * HOUR), 'failed', { kb: KB, title: TITLE, source: 'event' })], p);
  t.is(q.installs.updates[ID]!.failures, 2, 'matched by KB to the update the ID named');
});

test('a cancelled install is listed but neither fails nor succeeds; other updates keep their own counts', (t) => {
  const p = apply([
    installEvent(1, at(0), 'failed', { kb: KB }),
    installEvent(2, at(HOUR), 'cancelled', { kb: KB, hresult: '0x8024000B' }),
    installEvent(3, at(2 * HOUR), 'succeeded', { kb: 'KB5034439' }),
  ]);
  t.is(p.installs.updates[KB]!.failures, 1);
  t.is(p.installs.updates.KB5034439!.failures, 0);
  t.deepEqual(
    p.installs.recent.map((r) => r.outcome),
    ['succeeded', 'cancelled', 'failed'],
  );
});

test(`the listing keeps the last ${RECENT_INSTALLS} installs`, (t) => {
  const events = Array.from({ length: RECENT_INSTALLS + 5 }, (_, i) =>
    installEvent(i + 1, at(i * HOUR), 'failed', { kb: `KB50000${10 + i}` }),
  );
  const p = apply(events);
  t.is(p.installs.recent.length, RECENT_INSTALLS);
  t.is(p.installs.recent[0]!.kb, `KB50000${10 + RECENT_INSTALLS + 4}`);
});

test('an update the agent names like an Object property ("__proto__", "toString") is counted like any other', (t) => {
  // The title is agent-supplied text: it must be a key of the tracked updates, not reach the object's prototype.
  for (const title of ['__proto__', 'toString', 'constructor']) {
    let p = emptyProjection();
    for (let i = 0; i < 3; i++) p = apply([installEvent(i + 1, at(i * HOUR), 'failed', { title })], p);
    const stored = JSON.parse(JSON.stringify(p.installs)) as typeof p.installs;
    t.true(Object.hasOwn(stored.updates, title), `${title} is tracked`);
    t.is(stored.updates[title]!.failures, 3, `${title} failed 3 times in a row`);
    t.is(Object.getPrototypeOf(p.installs.updates), Object.prototype, `${title} left the prototype alone`);
  }
});

test('installs that name no update are listed but never make "one update failed N times in a row"', (t) => {
  // A multi-update cycle's warnings and the "Install call complete (failed = N)" summary name no update: three of
  // them may be three different updates, so they are no streak, and the install_failures rule must not fire on them.
  const p = apply([
    installEvent(1, at(0), 'failed', { source: 'log', hresult: '0x80070643' }),
    installEvent(2, at(24 * HOUR), 'failed', { source: 'log', hresult: '0x800F0922' }),
    installEvent(3, at(48 * HOUR), 'failed', { source: 'log', hresult: '0x80073712' }),
  ]);
  t.is(p.installs.recent.length, 3, 'all three are listed');
  t.deepEqual(p.lastInstallFailureAt, at(48 * HOUR));
  t.deepEqual(Object.keys(p.installs.updates), [], 'no update is tracked for them');
  const snapshot = { machineId: 'm1', hostname: 'srv-1', status: 'healthy', installs: p.installs };
  t.is(installFailures(snapshot as unknown as AlertMachineSnapshot, 3), null);
});
