/** Terminal output of the simulator and the demo, pure: the status table and alert lines. */
import { MACHINE_STATUSES, type MachineStatus } from '@wuwatch/core';
import type { FleetSummary, MachineRow } from '../collector-api.js';

/** What the status table shows. */
export interface StatusTableInput {
  summary: FleetSummary;
  /** Machines that are not healthy (any order). */
  problems: readonly MachineRow[];
  /** Statuses the scenario promises; the table says which are missing. */
  expected?: readonly MachineStatus[];
  /** Most problem machines listed (default 40). */
  maxRows?: number;
  /** Line width reasons are cut to (default 150). */
  width?: number;
}

const BAR_WIDTH = 30;

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, Math.max(0, n - 1)) + '…';
}

/** Statuses of `expected` with no machine in the summary. */
export function missingStatuses(summary: FleetSummary, expected: readonly MachineStatus[]): MachineStatus[] {
  return expected.filter((s) => (summary.byStatus[s] ?? 0) === 0);
}

/** The status table: counts per status with a bar, then each machine that is not healthy with its first reason. */
export function formatStatusTable(input: StatusTableInput): string {
  const { summary } = input;
  const width = input.width ?? 150;
  const max = Math.max(1, ...Object.values(summary.byStatus));
  const lines = [`Fleet status: ${summary.total} machine${summary.total === 1 ? '' : 's'}`];
  for (const s of MACHINE_STATUSES) {
    const n = summary.byStatus[s] ?? 0;
    const bar = n === 0 ? '' : '#'.repeat(Math.max(1, Math.round((n / max) * BAR_WIDTH)));
    lines.push(`  ${s.padEnd(17)}${String(n).padStart(6)}  ${bar}`);
  }
  if (input.expected) {
    const missing = missingStatuses(summary, input.expected);
    lines.push(
      missing.length === 0
        ? `Every status of the scenario is present (${input.expected.length}).`
        : `Not seen yet: ${missing.join(', ')}.`,
    );
  }
  const rank = (s: string) => {
    const i = (MACHINE_STATUSES as readonly string[]).indexOf(s);
    return i < 0 ? MACHINE_STATUSES.length : i;
  };
  const rows = [...input.problems].sort(
    (a, b) => rank(a.status) - rank(b.status) || a.hostname.localeCompare(b.hostname),
  );
  if (rows.length > 0) {
    const limit = input.maxRows ?? 40;
    lines.push('', 'Machines that are not healthy (first reason):');
    const hostWidth = Math.min(24, Math.max(...rows.map((r) => r.hostname.length)) + 2);
    for (const r of rows.slice(0, limit)) {
      const reason = r.status_reasons[0]?.message ?? '';
      lines.push(cut(`  ${r.hostname.padEnd(hostWidth)}${r.status.padEnd(18)}${reason}`, width));
    }
    if (rows.length > limit) lines.push(`  … and ${rows.length - limit} more`);
  }
  return lines.join('\n') + '\n';
}

/** One line of counts, for progress output. */
export function formatCountsLine(summary: FleetSummary): string {
  const parts = MACHINE_STATUSES.filter((s) => (summary.byStatus[s] ?? 0) > 0).map(
    (s) => `${s} ${summary.byStatus[s]}`,
  );
  return `${summary.total} machines: ${parts.join(', ') || 'none yet'}`;
}

interface AlertPayloadShape {
  kind?: string;
  alert?: { rule?: string; severity?: string; title?: string; summary?: string };
}

/** An alert webhook payload (wuwatch's WebhookPayload v1) as two lines; anything else as compact JSON. */
export function formatAlert(payload: unknown, width = 150): string {
  const p = payload as AlertPayloadShape;
  if (typeof p !== 'object' || p === null || typeof p.alert?.title !== 'string') {
    return cut(`ALERT ${JSON.stringify(payload)}`, width * 2) + '\n';
  }
  const kind = (p.kind ?? 'alert').toUpperCase();
  const head = `ALERT ${kind} [${p.alert.severity ?? '?'}] ${p.alert.rule ?? '?'}: ${p.alert.title}`;
  const body = p.alert.summary ? `\n      ${cut(p.alert.summary, width - 6)}` : '';
  return `${cut(head, width)}${body}\n`;
}
