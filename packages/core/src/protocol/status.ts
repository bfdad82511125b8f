/**
 * Machine statuses: what the collector's status engine assigns, stores and reports through its API
 * (GET /v1/machines?status=…, /v1/summary), and what the simulator and benchmarks expect back.
 */

/** The one status each machine has. */
export const MACHINE_STATUSES = [
  'healthy',
  'wsus_unreachable',
  'wsus_error',
  'detect_failing',
  'detect_stale',
  'misconfigured',
  'silent',
  'unknown',
] as const;

export type MachineStatus = (typeof MACHINE_STATUSES)[number];

/**
 * Which status wins when several apply, first match first. Silence wins because every other fact about a silent
 * machine may be out of date; unknown is last because it only stands when nothing is known.
 */
export const STATUS_PRECEDENCE: readonly MachineStatus[] = [
  'silent',
  'misconfigured',
  'wsus_unreachable',
  'wsus_error',
  'detect_failing',
  'detect_stale',
  'healthy',
  'unknown',
];
