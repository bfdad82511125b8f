// Issue 12: `source_state` events (protocol 2) — admitted, folded into the machine, and a disabled or unreadable
// Windows Update event channel is a `misconfigured` reason that says how to enable it. Pure parts, then the real
// ingest path (agent socket → PostgreSQL → machine row).
import test from 'ava';
import type { SourceStateData, WireEvent } from '@wuwatch/core';
import { admitEvents } from '../src/ingest/admission.js';
import { applyEvents, emptyProjection } from '../src/machines/projection.js';
import { toFacts, type MachineStateRow } from '../src/machines/row.js';
import { coreAssessor } from '../src/server.js';
import { computeStatus } from '../src/status/rules.js';
import { sourceStateReasons } from '../src/status/source-state.js';
import type { MachineFacts, StatusThresholds } from '../src/status/types.js';
import { api, enrollAgent, startTestCollector, TestAgent } from './helpers/collector.js';

const CHANNEL = 'Microsoft-Windows-WindowsUpdateClient/Operational';
const T: StatusThresholds = { silentAfterMinutes: 15, staleAfterIntervals: 3, defaultDetectionIntervalHours: 22 };
const NOW = new Date('2026-03-01T12:00:00.000Z');
const at = (min: number) => new Date(NOW.getTime() - 60 * 60_000 + min * 60_000).toISOString();

const state = (seq: number, time: string, s: SourceStateData['state'], reason: string | null = null): WireEvent => ({
  seq,
  time,
  kind: 'source_state',
  data: { source: 'event_channel', name: CHANNEL, state: s, reason },
});

/** A machine whose detections succeed and whose WSUS answers: healthy, but for what the case adds. */
function healthy(patch: Partial<MachineFacts> = {}): MachineFacts {
  return {
    now: NOW,
    firstSeen: new Date(NOW.getTime() - 30 * 86_400_000),
    lastSeen: new Date(NOW.getTime() - 60_000),
    connected: true,
    lastGoodbyeAt: null,
    assessment: { source: 'wsus', wsusUrl: 'http://wsus01:8530', detectionIntervalHours: 22, problems: [] },
    lastProbe: null,
    probeFailingSince: null,
    lastDetectionAt: new Date(NOW.getTime() - 3_600_000),
    lastDetectionOutcome: 'succeeded',
    lastDetectionHresult: null,
    consecutiveDetectionFailures: 0,
    firstFailureAt: null,
    lastSuccessDetectionAt: new Date(NOW.getTime() - 3_600_000),
    scans: {},
    servicesThatMatter: null,
    ...patch,
  };
}

test('admission takes a well-formed source_state and quarantines one with an unknown state', (t) => {
  const bad = {
    ...state(2, at(1), 'enabled'),
    data: { source: 'event_channel', name: CHANNEL, state: 'off', reason: null },
  };
  const a = admitEvents(
    [state(1, at(0), 'disabled'), bad],
    NOW,
    { maxFutureSkewMs: 60_000, maxEventAgeMs: 86_400_000 },
    coreAssessor,
  );
  t.deepEqual(
    a.events.map((e) => e.seq),
    [1],
  );
  t.like(a.quarantined[0], { seq: 2, class: 'data', kind: 'source_state' });
});

test("the projection keeps each source's state since it began; repeats and older reports change nothing", (t) => {
  const p = applyEvents(
    emptyProjection(),
    [
      state(1, at(0), 'disabled', 'wevtutil gl reports enabled: false'),
      state(2, at(5), 'disabled', 'wevtutil gl reports enabled: false'),
    ],
    coreAssessor,
  );
  t.deepEqual(p.sourceStates, {
    [`event_channel:${CHANNEL}`]: {
      source: 'event_channel',
      name: CHANNEL,
      state: 'disabled',
      reason: 'wevtutil gl reports enabled: false',
      since: at(0),
    },
  });
  const older = applyEvents(p, [state(3, at(-10), 'enabled')], coreAssessor);
  t.is(older.sourceStates, p.sourceStates, 'a report older than the kept one is ignored');
  const on = applyEvents(p, [state(4, at(20), 'enabled')], coreAssessor);
  t.like(on.sourceStates?.[`event_channel:${CHANNEL}`], { state: 'enabled', since: at(20) });
});

test('a disabled channel makes a healthy machine misconfigured with the command that enables it', (t) => {
  const since = at(0);
  const v = computeStatus(
    healthy({ sourceStates: [{ source: 'event_channel', name: CHANNEL, state: 'disabled', reason: null, since }] }),
    T,
  );
  t.is(v.status, 'misconfigured');
  t.is(v.reasons[0]!.code, 'EVENT_CHANNEL_DISABLED');
  t.regex(v.reasons[0]!.message, /wevtutil sl Microsoft-Windows-WindowsUpdateClient\/Operational \/e:true/);
  t.regex(v.reasons[0]!.message, /detection failures cannot be seen/);
  t.is(v.reasons[0]!.evidence.since, since);
  // Enabled again (or never reported, as from an older agent): the machine is judged as before.
  t.is(computeStatus(healthy(), T).status, 'healthy');
  t.deepEqual(
    sourceStateReasons([{ source: 'event_channel', name: CHANNEL, state: 'enabled', reason: null, since }]),
    [],
  );
});

test("an unreadable channel (no wevtutil) is misconfigured too, with the agent's reason; other reasons stay", (t) => {
  const v = computeStatus(
    healthy({
      consecutiveDetectionFailures: 3,
      lastDetectionOutcome: 'failed',
      lastDetectionHresult: '0x80244022',
      firstFailureAt: new Date(NOW.getTime() - 7_200_000),
      sourceStates: [
        {
          source: 'event_channel',
          name: CHANNEL,
          state: 'unavailable',
          reason: 'C:\\Windows\\System32\\wevtutil.exe was not found',
          since: at(0),
        },
      ],
    }),
    T,
  );
  t.is(v.status, 'misconfigured');
  const why = v.reasons.find((r) => r.code === 'EVENT_CHANNEL_UNAVAILABLE')!;
  t.regex(why.message, /wevtutil\.exe was not found/);
  t.true(
    v.reasons.some((r) => r.code === 'DETECTION_FAILING'),
    'the detection reason is kept beside it',
  );
});

test('toFacts hands the stored states to the rules', (t) => {
  const p = applyEvents(emptyProjection(), [state(1, at(0), 'disabled')], coreAssessor);
  const row = { first_seen: new Date(at(0)), last_seen: NOW } as MachineStateRow;
  t.deepEqual(
    toFacts(row, p, NOW, true).sourceStates?.map((s) => s.state),
    ['disabled'],
  );
  t.deepEqual(toFacts(row, emptyProjection(), NOW, true).sourceStates, []);
});

test('through a real agent socket into PostgreSQL: the machine row keeps the state and the status says why', async (t) => {
  const tc = await startTestCollector();
  try {
    const { agentId, token } = await enrollAgent(tc, 'srv-channel');
    const agent = await TestAgent.connect(tc.wsUrl, token);
    await agent.hello(agentId, 'srv-channel');
    const now = new Date().toISOString();
    agent.ws.send(JSON.stringify({ type: 'batch', batchId: 1, events: [{ ...state(1, now, 'disabled'), time: now }] }));
    t.like(await agent.next(), { type: 'ack', upTo: 1 });
    agent.close();
    await agent.closed;
    const list = await api<{ items: { id: string; status: string }[] }>(tc, 'GET', '/v1/machines');
    t.is(list.body.items[0]!.status, 'misconfigured');
    const { rows } = await tc.collector.db.query<{ source_states: Record<string, { state: string }> }>(
      'SELECT source_states FROM machines WHERE agent_id = $1',
      [agentId],
    );
    t.is(rows[0]!.source_states[`event_channel:${CHANNEL}`]!.state, 'disabled');
  } finally {
    await tc.close();
  }
});
