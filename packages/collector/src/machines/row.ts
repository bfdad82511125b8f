/**
 * Mapping between a `machines` row and the pure projection/status types. PROJECTION_COLUMNS is the one list of which
 * projection field lives in which column: the repository's SELECT and UPDATE and rowToProjection all derive from it,
 * so a new projected fact is one line here (plus its column in prisma/schema.prisma and a migration).
 */
import type { MachineFacts } from '../status/types.js';
import { noInstalls } from './installs.js';
import type { MachineProjection } from './projection.js';

/** A projection field's column; `jsonb` columns are written as JSON text. */
interface ColumnSpec {
  column: string;
  jsonb?: true;
}

/** Every projection field and its `machines` column. */
export const PROJECTION_COLUMNS = {
  policy: { column: 'policy', jsonb: true },
  assessment: { column: 'policy_assessment', jsonb: true },
  wsusUrl: { column: 'wsus_url' },
  lastProbe: { column: 'last_probe', jsonb: true },
  lastProbeAt: { column: 'last_probe_at' },
  lastProbeOk: { column: 'last_probe_ok' },
  probeFailingSince: { column: 'probe_failing_since' },
  lastDetectionAt: { column: 'last_detection_at' },
  lastDetectionOutcome: { column: 'last_detection_outcome' },
  lastDetectionHresult: { column: 'last_detection_hresult' },
  lastDetectionSource: { column: 'last_detection_source' },
  consecutiveDetectionFailures: { column: 'consecutive_detection_failures' },
  firstFailureAt: { column: 'first_failure_at' },
  lastSuccessDetectionAt: { column: 'last_success_detection_at' },
  lastWua: { column: 'last_wua', jsonb: true },
  lastGoodbyeAt: { column: 'last_goodbye_at' },
  policyMdm: { column: 'policy_mdm', jsonb: true },
  updateSources: { column: 'update_sources', jsonb: true },
  scans: { column: 'detection_scans', jsonb: true },
  installs: { column: 'installs', jsonb: true },
  lastInstallFailureAt: { column: 'last_install_failure_at' },
  lastInstallAt: { column: 'last_install_at' },
  sourceStates: { column: 'source_states', jsonb: true },
} as const satisfies Record<keyof MachineProjection, ColumnSpec>;

/** The projection's fields in a fixed order (the order of the UPDATE's parameters). */
export const PROJECTION_FIELDS = Object.keys(PROJECTION_COLUMNS) as (keyof MachineProjection)[];

/** Columns of `machines` the ingest, hello and the status sweep read (projection columns under their field names). */
export const MACHINE_STATE_COLUMNS = [
  'id',
  'agent_id',
  'hostname',
  'os_version',
  'first_seen',
  'last_seen',
  'connected',
  'status',
  ...PROJECTION_FIELDS.map((f) => `${PROJECTION_COLUMNS[f].column} AS "${f}"`),
].join(', ');

/** A `machines` row as the repository loads it: identity and bookkeeping columns, then the projection's fields. */
export type MachineStateRow = {
  id: string;
  agent_id: string;
  hostname: string;
  os_version: string | null;
  first_seen: Date;
  last_seen: Date;
  connected: boolean;
  status: string;
} & MachineProjection;

/** The projection stored in a row. */
export function rowToProjection(r: MachineStateRow): MachineProjection {
  const p = {} as Record<keyof MachineProjection, unknown>;
  for (const f of PROJECTION_FIELDS) p[f] = r[f] ?? null;
  p.consecutiveDetectionFailures = r.consecutiveDetectionFailures ?? 0;
  // NOT NULL columns with defaults; a row built by hand in a test may still lack them.
  p.scans = r.scans ?? {};
  p.installs = r.installs ?? noInstalls();
  return p as MachineProjection;
}

/** The value bound for a projection field in the repository's UPDATE. */
export function columnValue(p: MachineProjection, f: keyof MachineProjection, toJson: (v: unknown) => string): unknown {
  const v = p[f];
  return 'jsonb' in PROJECTION_COLUMNS[f] && v !== null ? toJson(v) : v;
}

/** The status engine's facts for a row (and possibly a fresher projection). */
export function toFacts(r: MachineStateRow, p: MachineProjection, now: Date, connected: boolean): MachineFacts {
  return {
    now,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    connected,
    lastGoodbyeAt: p.lastGoodbyeAt,
    assessment: p.assessment,
    lastProbe: p.lastProbe && p.lastProbeAt ? { at: p.lastProbeAt, data: p.lastProbe } : null,
    probeFailingSince: p.probeFailingSince,
    lastDetectionAt: p.lastDetectionAt,
    lastDetectionOutcome: p.lastDetectionOutcome,
    lastDetectionHresult: p.lastDetectionHresult,
    consecutiveDetectionFailures: p.consecutiveDetectionFailures,
    firstFailureAt: p.firstFailureAt,
    lastSuccessDetectionAt: p.lastSuccessDetectionAt,
    scans: p.scans,
    servicesThatMatter: p.updateSources?.servicesThatMatter ?? null,
    sourceStates: p.sourceStates ? Object.values(p.sourceStates) : [],
  };
}
