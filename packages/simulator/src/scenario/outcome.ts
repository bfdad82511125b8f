/**
 * What a machine's detection cycles end with, and the status the collector should give it (pure). The codes are
 * the ones Windows Update logs for each server behaviour (design notes §5, §6).
 */
import { describeHresult, type MachineStatus } from '@wuwatch/core';
import type { StandinMode } from '../wsus/modes.js';
import type { DetectionSpec, GroupSpec, PolicySpec } from './schema.js';

/** Detection result when following the server: the WU_E_PT_* code a scan against it ends with (null = success). */
export const FOLLOW_HRESULT: Readonly<Record<StandinMode, string | null>> = Object.freeze({
  healthy: null,
  '503': '0x80244022', // WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL, the field report
  refuse: '0x8024402C', // WU_E_PT_WINHTTP_NAME_NOT_RESOLVED: commonly seen for a server that is gone (name or port)
  hang: '0x8024401C', // WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT
  '404': '0x80244019', // WU_E_PT_HTTP_STATUS_NOT_FOUND (wrong vdir or port)
  '500': '0x8024401F', // WU_E_PT_HTTP_STATUS_SERVER_ERROR
});

/** The transport code logged on the WinHttp/BITS lines before the WU code (BITS 0x8019xxxx or WinHTTP 0x80072xxx). */
export const TRANSPORT_HRESULT: Readonly<Record<StandinMode, string | null>> = Object.freeze({
  healthy: null,
  '503': '0x801901F7',
  refuse: '0x80072EFD',
  hang: '0x80072EE2',
  '404': '0x80190194',
  '500': '0x801901F4',
});

/** WU_E_PT_SUS_SERVER_NOT_SET: UseWUServer = 1 without WUServer. */
export const MISCONFIGURED_HRESULT = '0x80244011';

const UNREACHABLE: ReadonlySet<StandinMode> = new Set<StandinMode>(['503', 'refuse', 'hang']);
const SERVER_ERROR: ReadonlySet<StandinMode> = new Set<StandinMode>(['404', '500']);

/** The code every live cycle of a machine ends with, or null when its cycles succeed. */
export function cycleHresult(
  policy: PolicySpec,
  detection: DetectionSpec,
  behaviour: StandinMode | null,
): string | null {
  if (detection.kind === 'fail') return detection.hresult;
  if (policy.kind === 'misconfigured') return MISCONFIGURED_HRESULT;
  if (policy.kind === 'microsoft_update' || behaviour === null) return null;
  return FOLLOW_HRESULT[behaviour];
}

/** The status the collector should settle on for a machine of this group (after its role has played out). */
export function expectedStatus(group: GroupSpec, behaviour: StandinMode | null): MachineStatus {
  if (group.role === 'silent') return 'silent';
  if (group.role === 'newcomer') return 'unknown';
  if (group.policy.kind === 'misconfigured') return 'misconfigured';
  const wsus = group.policy.kind === 'wsus';
  if (wsus && behaviour !== null && UNREACHABLE.has(behaviour)) return 'wsus_unreachable';
  if (wsus && behaviour !== null && SERVER_ERROR.has(behaviour)) return 'wsus_error';
  if (group.role === 'stale') return 'detect_stale';
  const code = cycleHresult(group.policy, group.detection, behaviour);
  if (code === null) return 'healthy';
  const cls = describeHresult(code).class;
  if (wsus && cls === 'unreachable') return 'wsus_unreachable';
  if (wsus && cls === 'server_error') return 'wsus_error';
  return 'detect_failing';
}

/** True when the behaviour means nobody can reach the server (a dead pointer when only one machine uses it). */
export function isDeadServer(behaviour: StandinMode): boolean {
  return UNREACHABLE.has(behaviour);
}
