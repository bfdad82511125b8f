/**
 * The `install_failures` rule (issue 15), off by default: an update that failed to install `threshold` times in a
 * row on one machine (a success of that update resets its count; a cancelled install changes nothing; one install
 * seen by the log and by event 20 counts once, machines/installs.ts). One condition per machine, naming the update
 * that failed most and counting the others.
 */
import { tryDescribeHresult } from '@wuwatch/core';
import * as z from 'zod';
import type { UpdateInstalls } from '../machines/installs.js';
import type { AlertCondition, AlertEvidence, AlertMachineSnapshot } from './types.js';

/** Config of the rule: off unless enabled; fires at `threshold` failed installs of one update in a row. */
export const InstallFailuresConfig = z
  .object({
    enabled: z.boolean().default(false),
    threshold: z.number().int().min(1).default(3),
  })
  .strict()
  .prefault({});

export type InstallFailuresConfig = z.infer<typeof InstallFailuresConfig>;

/** How people name an update: its KB and title, or whichever it has. */
export function updateWords(u: Pick<UpdateInstalls, 'kb' | 'title' | 'updateId'>): string {
  if (u.title && u.kb && u.title.includes(u.kb)) return u.title;
  if (u.title && u.kb) return `${u.kb} (${u.title})`;
  return u.title ?? u.kb ?? (u.updateId ? `update ${u.updateId}` : 'an update that was not named');
}

const GENERIC_FIX =
  'Read the install error in WindowsUpdate.log (and CBS.log for servicing errors) on the machine, repair the ' +
  'component store (DISM /Online /Cleanup-Image /RestoreHealth, then sfc /scannow), free disk space, and install ' +
  'the update again; if it keeps failing, install its standalone package from the Microsoft Update Catalog.';

/** The condition for one machine, or null when no update has failed `threshold` times in a row. */
export function installFailures(m: AlertMachineSnapshot, threshold: number): AlertCondition | null {
  const failing = Object.values(m.installs?.updates ?? {})
    // An entry that names no update is no one update failing in a row (installs.ts no longer tracks such entries).
    .filter((u) => u.failures >= threshold && (u.updateId ?? u.kb ?? u.title) !== null)
    .sort((a, b) => b.failures - a.failures || Date.parse(b.lastFailureAt ?? '') - Date.parse(a.lastFailureAt ?? ''));
  const top = failing[0];
  if (!top) return null;
  const d = tryDescribeHresult(top.hresult);
  const what = updateWords(top);
  const others = failing.slice(1).map((u) => u.kb ?? updateWords(u));
  const evidence: AlertEvidence = {
    count: top.failures,
    threshold: `${threshold} failed installs of one update in a row`,
    machineStatus: m.status,
    update: what,
  };
  if (d) Object.assign(evidence, { hresult: d.code, hresultName: d.name, meaning: d.description });
  else if (top.hresult) evidence.hresult = top.hresult;
  if (top.firstFailureAt) evidence.since = top.firstFailureAt;
  if (top.lastFailureAt) evidence.lastAt = top.lastFailureAt;
  const code = d ? ` with ${d.code} (${d.name})` : top.hresult ? ` with ${top.hresult}` : '';
  return {
    rule: 'install_failures',
    subject: `machine:${m.machineId}`,
    machines: [{ machineId: m.machineId, hostname: m.hostname }],
    severity: 'warning',
    title: `${top.kb ?? 'An update'} keeps failing to install on ${m.hostname}`,
    summary:
      `${what} has failed to install ${top.failures} times in a row on ${m.hostname}` +
      `${top.firstFailureAt ? ` since ${top.firstFailureAt}` : ''}${top.lastFailureAt ? `, last at ${top.lastFailureAt}` : ''}${code}.` +
      (others.length
        ? ` ${others.length} more update${others.length === 1 ? '' : 's'} keep failing too: ${others.join(', ')}.`
        : ''),
    evidence,
    fix: d?.remedy ?? GENERIC_FIX,
  };
}
