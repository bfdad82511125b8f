/**
 * From a scenario and a fleet size to the list of machines to simulate (pure). Fixed groups keep their count;
 * the others share the rest in proportion to their counts (largest remainder), never below their `min`.
 */
import { STATUS_PRECEDENCE, makeError, type MachineStatus } from '@wuwatch/core';
import type { StandinMode } from '../wsus/modes.js';
import { cycleHresult, expectedStatus, isDeadServer } from './outcome.js';
import type { GroupSpec, PolicySpec, Scenario } from './schema.js';

/** One simulated machine, everything a shard needs to run it (plain data: it crosses process boundaries). */
export interface MachinePlan {
  hostname: string;
  group: string;
  os: string;
  log: 'legacy' | 'event';
  policy: PolicySpec;
  /** Behaviour of its WSUS server (null: no WSUS in its policy). */
  serverBehaviour: StandinMode | null;
  /** What every live detection cycle ends with; null = success. */
  cycleHresult: string | null;
  history: number;
  role: GroupSpec['role'];
  staleDays: number;
  silentAfterSeconds: number;
  firstScanAfterIntervals: number;
  /** The status the collector should show once the machine's role has played out. */
  expected: MachineStatus;
  /** The only machine pointing at a dead server: the field report's leftover pointer. */
  orphan: boolean;
}

/** The machines of a run and what the scenario promises. */
export interface FleetPlan {
  machines: MachinePlan[];
  /** Groups that keep adding machines while the run lasts (role newcomer). */
  newcomerGroups: GroupSpec[];
  /** Distinct expected statuses, in the collector's order. */
  expectedStatuses: MachineStatus[];
}

const DEFAULT_OS: Readonly<Record<MachinePlan['log'], string>> = {
  legacy: 'Windows Server 2008 R2 (simulated)',
  event: 'Windows Server 2019 (simulated)',
};

/** Machines per group for a fleet of `agents` (default: the scenario's nominal size, the sum of the counts). */
export function allocateCounts(scenario: Scenario, agents?: number): number[] {
  const groups = scenario.groups;
  const nominal = groups.reduce((n, g) => n + g.count, 0);
  const total = agents ?? nominal;
  const fixed = groups.reduce((n, g) => n + (g.fixed ? g.count : 0), 0);
  const mins = groups.reduce((n, g) => n + (g.fixed ? 0 : g.min), 0);
  if (total < fixed + mins) {
    throw makeError('SCENARIO_INVALID', [
      `"${scenario.name}"`,
      `it needs at least ${fixed + mins} agents (its fixed groups and minimums), not ${total}`,
    ]);
  }
  const scaled = groups.reduce((n, g) => n + (g.fixed ? 0 : g.count), 0);
  const rest = total - fixed;
  if (scaled === 0 && rest > 0) {
    throw makeError('SCENARIO_INVALID', [
      `"${scenario.name}"`,
      `only fixed groups, so it runs exactly ${fixed} agents`,
    ]);
  }
  const quota = groups.map((g) => (g.fixed ? g.count : scaled === 0 ? 0 : (rest * g.count) / scaled));
  const out = groups.map((g, i) => (g.fixed ? g.count : Math.max(g.min, Math.floor(quota[i]!))));
  const shortfall = (i: number) => quota[i]! - out[i]!;
  const free = groups.map((g, i) => i).filter((i) => !groups[i]!.fixed);
  let sum = out.reduce((a, b) => a + b, 0);
  while (sum < total) {
    const i = free.reduce((best, j) => (shortfall(j) > shortfall(best) ? j : best), free[0]!);
    out[i]!++;
    sum++;
  }
  while (sum > total) {
    const candidates = free.filter((j) => out[j]! > groups[j]!.min);
    const i = candidates.reduce((best, j) => (shortfall(j) < shortfall(best) ? j : best), candidates[0]!);
    out[i]!--;
    sum--;
  }
  return out;
}

/** `<group>-<n>` with at least three digits. */
export function hostnameFor(group: string, n: number): string {
  return `${group}-${String(n).padStart(3, '0')}`;
}

function behaviourOf(scenario: Scenario, policy: PolicySpec): StandinMode | null {
  if (policy.kind !== 'wsus') return null;
  return scenario.wsusServers.find((w) => w.name === policy.server)?.behaviour ?? null;
}

/** The plan of machine number `n` (1-based) of a group. */
export function machinePlan(scenario: Scenario, group: GroupSpec, n: number, orphan = false): MachinePlan {
  const behaviour = behaviourOf(scenario, group.policy);
  return {
    hostname: hostnameFor(group.name, n),
    group: group.name,
    os: group.os ?? DEFAULT_OS[group.log],
    log: group.log,
    policy: group.policy,
    serverBehaviour: behaviour,
    cycleHresult: cycleHresult(group.policy, group.detection, behaviour),
    // A newcomer has never scanned; a stale machine's history is written by its role.
    history: group.role === 'newcomer' ? 0 : group.history,
    role: group.role,
    staleDays: group.staleDays,
    silentAfterSeconds: group.silentAfterSeconds,
    firstScanAfterIntervals: group.firstScanAfterIntervals,
    expected: expectedStatus(group, behaviour),
    orphan,
  };
}

/** Plans the machines present at the start of a run of `agents` machines. */
export function planFleet(scenario: Scenario, agents?: number): FleetPlan {
  const counts = allocateCounts(scenario, agents);
  const perServer = new Map<string, number>();
  scenario.groups.forEach((g, i) => {
    if (g.policy.kind === 'wsus') perServer.set(g.policy.server, (perServer.get(g.policy.server) ?? 0) + counts[i]!);
  });
  const machines: MachinePlan[] = [];
  scenario.groups.forEach((g, i) => {
    const behaviour = behaviourOf(scenario, g.policy);
    const alone = g.policy.kind === 'wsus' && perServer.get(g.policy.server) === 1;
    const orphan = alone && behaviour !== null && isDeadServer(behaviour);
    for (let n = 1; n <= counts[i]!; n++) machines.push(machinePlan(scenario, g, n, orphan));
  });
  const seen = new Set(machines.map((m) => m.expected));
  return {
    machines,
    newcomerGroups: scenario.groups.filter((g, i) => g.role === 'newcomer' && counts[i]! > 0),
    expectedStatuses: STATUS_PRECEDENCE.filter((s) => seen.has(s)),
  };
}
