// Builders of agent events (the data an agent would really send), shared by the collector tests and the benchmark.
import {
  AU_POLICY_KEY,
  toUpdatePolicy,
  WINDOWS_UPDATE_POLICY_KEY,
  type DetectionData,
  type ProbeData,
  type RegValue,
  type UpdatePolicy,
  type WireEvent,
} from '@wuwatch/core';

/** Registry values of the two policy keys, as a GPO would set them. */
export interface PolicyValues {
  wu?: Record<string, string | number>;
  au?: Record<string, number>;
}

const reg = (v: string | number): RegValue =>
  typeof v === 'string' ? { type: 'REG_SZ', value: v } : { type: 'REG_DWORD', value: v };

/** An UpdatePolicy built the way the agent builds it (registry export → toUpdatePolicy). */
export function updatePolicy(values: PolicyValues): UpdatePolicy {
  const keys = [
    {
      path: WINDOWS_UPDATE_POLICY_KEY,
      values: Object.fromEntries(Object.entries(values.wu ?? {}).map(([k, v]) => [k, reg(v)])),
    },
    { path: AU_POLICY_KEY, values: Object.fromEntries(Object.entries(values.au ?? {}).map(([k, v]) => [k, reg(v)])) },
  ];
  return toUpdatePolicy({ keys });
}

/** The policy of a machine pointed at `url` by GPO (UseWUServer=1, both URLs set). */
export function wsusPolicy(url: string, au: Record<string, number> = {}): UpdatePolicy {
  return updatePolicy({ wu: { WUServer: url, WUStatusServer: url }, au: { UseWUServer: 1, ...au } });
}

const at = (time: Date | string) => (typeof time === 'string' ? time : time.toISOString());

/** A `policy` event. */
export function policyEvent(seq: number, time: Date | string, policy: UpdatePolicy): WireEvent {
  return { seq, time: at(time), kind: 'policy', data: { policy } };
}

/** A `detection` event. */
export function detectionEvent(
  seq: number,
  time: Date | string,
  outcome: DetectionData['outcome'],
  opts: { hresult?: string | null; source?: 'log' | 'event'; serviceId?: string | null } = {},
): WireEvent {
  const data: DetectionData = {
    source: opts.source ?? 'log',
    attemptKey: null,
    outcome,
    hresult: outcome === 'failed' ? (opts.hresult ?? '0x80244022') : null,
    caller: 'AutomaticUpdates',
    managed: true,
    serverUrl: null,
    updatesFound: outcome === 'succeeded' ? 0 : null,
    line: seq,
    recordId: null,
    ...(opts.serviceId !== undefined ? { serviceId: opts.serviceId, serviceName: null } : {}),
  };
  return { seq, time: at(time), kind: 'detection', data };
}

/** Update service IDs (Microsoft Learn "Windows Update log files", core catalogue/services.ts). */
export const SERVICE = {
  wsus: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
  windowsUpdate: '9482F4B4-E343-43B6-B170-9A65BC822C77',
  microsoftUpdate: '7971F918-A847-4430-9279-4A52D1EFE18D',
  store: '855E8A7C-ECB4-4CA3-B045-1DFA50104289',
} as const;

/** An `install` event as the agent sends it: from a log line (`line`) or from event 19/20 (`recordId`). */
export function installEvent(
  seq: number,
  time: Date | string,
  outcome: 'succeeded' | 'failed' | 'cancelled',
  opts: {
    hresult?: string | null;
    title?: string | null;
    kb?: string | null;
    updateId?: string | null;
    source?: 'log' | 'event';
  } = {},
): WireEvent {
  const source = opts.source ?? 'event';
  return {
    seq,
    time: at(time),
    kind: 'install',
    data: {
      outcome,
      hresult: outcome === 'succeeded' ? null : (opts.hresult ?? '0x80070643'),
      title: opts.title ?? null,
      kb: opts.kb ?? null,
      updateId: opts.updateId ?? null,
      serviceId: null,
      ...(source === 'log' ? { line: seq } : { recordId: 1000 + seq, channel: 'System', eventId: 20 }),
    },
  };
}

/** A `probe` event; `ok` unless a failure class is given. */
export function probeEvent(seq: number, time: Date | string, url: string, failure?: Partial<ProbeData>): WireEvent {
  const data: ProbeData = {
    url,
    class: 'ok',
    ok: true,
    httpStatus: 200,
    failedStep: null,
    hresult: null,
    message: null,
    steps: [{ step: 'http', ms: 3, ok: true }],
    ...(failure ? { ok: false, ...failure } : {}),
  };
  return { seq, time: at(time), kind: 'probe', data };
}

/** A probe answered by HTTP 503 (the field report's dead server). */
export function probe503(seq: number, time: Date | string, url: string): WireEvent {
  return probeEvent(seq, time, url, {
    class: 'http_status',
    httpStatus: 503,
    failedStep: 'http',
    hresult: '0x80244022',
  });
}

/** A `wua` event (Windows Update Agent API results). */
export function wuaEvent(seq: number, time: Date | string, lastSearchSuccessDate: string | null): WireEvent {
  return { seq, time: at(time), kind: 'wua', data: { lastSearchSuccessDate, lastInstallationSuccessDate: null } };
}

/** Filler events for volume tests: a failing detection per seq, one second apart from `base`. */
export function bulkEvents(from: number, to: number, base = Date.UTC(2026, 0, 1)): WireEvent[] {
  const out: WireEvent[] = [];
  for (let seq = from; seq <= to; seq++) out.push(detectionEvent(seq, new Date(base + seq * 1000), 'failed'));
  return out;
}
