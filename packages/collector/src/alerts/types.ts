/**
 * Plain data shared by the alert rules, the alert state machine, message rendering and the channels.
 * Times inside evidence are ISO strings so conditions serialise to JSON (database, webhooks) unchanged.
 */
import type { ProbeData } from '@wuwatch/core';
import type { InstallState } from '../machines/installs.js';
import type { MachineStatus, StatusReason } from '../status/types.js';

/** The alert rules wuwatch evaluates. */
export const ALERT_RULES = [
  'detect_failures',
  'detect_stale',
  'wsus_unreachable',
  'agent_silent',
  'install_failures',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** How urgent an alert is. */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Lifecycle of an alert: `clearing` means the condition is gone but not long enough to call it resolved. */
export const ALERT_STATES = ['firing', 'clearing', 'resolved'] as const;
export type AlertStateName = (typeof ALERT_STATES)[number];

/** Why a notification is sent. */
export const NOTIFICATION_KINDS = ['firing', 'repeat', 'grown', 'resolved', 'test'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** What the rules read about one machine (one row of the machines table plus its last probe). */
export interface AlertMachineSnapshot {
  machineId: string;
  hostname: string;
  status: MachineStatus;
  statusReasons: readonly StatusReason[];
  /** WUServer from the policy, as the machine has it (normalised by the rules). */
  wsusUrl: string | null;
  consecutiveDetectionFailures: number;
  lastDetectionHresult: string | null;
  firstFailureAt: Date | null;
  lastDetectionAt: Date | null;
  lastSuccessDetectionAt: Date | null;
  /** When the collector first heard of the machine: the staleness reference when no detection ever succeeded. */
  firstSeen: Date;
  lastSeen: Date | null;
  lastGoodbyeAt: Date | null;
  probeFailingSince: Date | null;
  lastProbe: ProbeData | null;
  /** Install history (for install_failures); absent in snapshots built before issue 15. */
  installs?: InstallState | null;
}

/** A machine named by an alert. */
export interface AlertMachineRef {
  machineId: string;
  hostname: string;
}

/** The facts behind an alert; every field is optional because each rule has its own. */
// A type alias, not an interface, so it is assignable to the webhook schema's open record.
export type AlertEvidence = {
  hresult?: string;
  hresultName?: string;
  /** The catalogue's meaning of `hresult`. */
  meaning?: string;
  url?: string;
  httpStatus?: number;
  probeClass?: string;
  /** ISO time the trouble started (first failure, last success, last heard from). */
  since?: string;
  /** ISO time of the latest observation. */
  lastAt?: string;
  count?: number;
  threshold?: string;
  machineStatus?: MachineStatus;
  /** Machines pointing at the WSUS server (for wsus_unreachable). */
  machinesPointing?: number;
  orphan?: boolean;
  graceful?: boolean;
  /** The update service whose scans fail (detect_failures), when the detections name it. */
  service?: string;
  /** The update that keeps failing to install (install_failures): its KB and title. */
  update?: string;
};

/** One thing the rules found wrong right now; alerts are the conditions seen over time. */
export interface AlertCondition {
  rule: AlertRule;
  /** `machine:<machineId>` or `wsus:<normalised url>`. */
  subject: string;
  severity: AlertSeverity;
  title: string;
  summary: string;
  evidence: AlertEvidence;
  fix: string;
  machines?: AlertMachineRef[];
  /** Subject of the condition that explains this one (one dead WSUS server = one incident): do not notify. */
  inhibitedBy?: string;
}

/** Hysteresis state of one alert. */
export interface AlertState {
  state: AlertStateName;
  firingSince: Date;
  clearSince: Date | null;
  goodObservations: number;
  resolvedAt?: Date | null;
}

/** An alert as stored: its latest condition, its hysteresis state and what was last notified. */
export interface Alert extends AlertState {
  id: string;
  rule: AlertRule;
  subject: string;
  severity: AlertSeverity;
  title: string;
  summary: string;
  evidence: AlertEvidence;
  fix: string;
  machines?: AlertMachineRef[];
  inhibitedBy?: string | null;
  /** Last time the condition was present. */
  lastSeen: Date;
  lastNotifiedAt: Date | null;
  lastNotifiedState: 'firing' | 'resolved' | null;
  /** How many machines the last firing notification named (grouped alerts); null when unknown or not grouped. */
  lastNotifiedMachines?: number | null;
}

/** One notification to deliver; `id` is stable across retries so receivers can deduplicate. */
export interface Notification {
  id: string;
  kind: NotificationKind;
  createdAt: Date;
  alert: Alert;
}

/** A notification rendered for people: a title, plain text and labelled fields. */
export interface RenderedMessage {
  title: string;
  /** The alert's summary with times for people. */
  summary: string;
  text: string;
  fields: { label: string; value: string }[];
}
