/**
 * The scenario file format (JSON): which WSUS stand-ins exist and which machines point where. Documented field by
 * field in packages/simulator/README.md; `wuwatch-simulate --print-scenario` prints the built-in default as an example.
 */
import * as z from 'zod';
import { STANDIN_MODES } from '../wsus/modes.js';

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and "-", starting with a letter, at most 40 characters');

const hresult = z
  .string()
  .regex(/^0x[0-9a-fA-F]{8}$/, 'an HRESULT written 0x + 8 hex digits, e.g. 0x80240022')
  .transform((s) => `0x${s.slice(2).toUpperCase()}`);

/** A WSUS stand-in started on 127.0.0.1 for the run. */
export const WsusServerSpec = z
  .object({
    /** How machines refer to it in `policy.server`. */
    name,
    /** healthy | 503 (dead app pool) | hang (never answers) | 404 (wrong vdir/port) | 500 | refuse (closed port). */
    behaviour: z.enum(STANDIN_MODES),
  })
  .strict();

/** The Windows Update Group Policy written to each machine's policy.reg. */
export const PolicySpec = z.discriminatedUnion('kind', [
  /** WUServer/WUStatusServer = the stand-in's URL, UseWUServer = 1. */
  z.object({ kind: z.literal('wsus'), server: name }).strict(),
  /** No Windows Update policy at all: the machine talks to Microsoft Update. */
  z.object({ kind: z.literal('microsoft_update') }).strict(),
  /** UseWUServer = 1 but no WUServer: every scan fails with 0x80244011. */
  z.object({ kind: z.literal('misconfigured') }).strict(),
]);

/** What each detection cycle of a machine ends with. */
export const DetectionSpec = z.discriminatedUnion('kind', [
  /** As the machine's update server dictates: success when it is healthy, its failure code when it is not. */
  z.object({ kind: z.literal('follow') }).strict(),
  /** Every cycle fails with this code, whatever the server does (a local fault). */
  z.object({ kind: z.literal('fail'), hresult }).strict(),
]);

/** Roles that make a machine special. */
export const ROLES = ['normal', 'stale', 'silent', 'newcomer'] as const;

/** A group of alike machines. */
export const GroupSpec = z
  .object({
    /** Also the hostname prefix: machines are `<name>-001`, `<name>-002`, … */
    name,
    /** Machines in the group at the scenario's nominal size (the sum of all counts). */
    count: z.number().int().min(0).max(100_000),
    /** Keep `count` whatever `--agents` says (special machines); otherwise the count scales with `--agents`. */
    fixed: z.boolean().default(false),
    /** Lower bound when scaling down (e.g. 2 so a dead server never becomes an orphan pointer by accident). */
    min: z.number().int().min(0).default(0),
    /** OS version the agent reports. */
    os: z.string().min(1).max(100).optional(),
    /** legacy: a WindowsUpdate.log in the 7/2008 R2 TAB format that grows; event: the 10/2016+ ETW stub + events/*.xml. */
    log: z.enum(['legacy', 'event']).default('legacy'),
    policy: PolicySpec,
    detection: DetectionSpec.default({ kind: 'follow' }),
    /**
     * Detection cycles already in the log when the run starts (one simulated interval apart, newest last). Two,
     * so a failing machine reaches three failures (the default alert threshold) with its first live cycle, when
     * its probe has already shown whether a dead WSUS server explains it.
     */
    history: z.number().int().min(0).max(50).default(2),
    /**
     * normal; stale: last success `staleDays` calendar days before the run and no cycle since (wua.json too);
     * silent: the agent's connection is cut `silentAfterSeconds` after start and never comes back (no goodbye);
     * newcomer: a freshly built server that has not scanned yet (status unknown); one more joins every
     * `joinEveryIntervals`, and each scans for the first time `firstScanAfterIntervals` after joining.
     */
    role: z.enum(ROLES).default('normal'),
    staleDays: z.number().positive().max(365).default(9),
    silentAfterSeconds: z.number().positive().max(3600).default(10),
    joinEveryIntervals: z.number().positive().default(1.5),
    firstScanAfterIntervals: z.number().positive().default(2),
    /** Newcomers that join after the start, at most (default: no limit). */
    maxJoins: z.number().int().min(0).optional(),
  })
  .strict();

/** A whole scenario file. */
export const Scenario = z
  .object({
    name,
    description: z.string().max(2000).optional(),
    /** Simulated hours between detections when the policy sets none (Windows: 22 h, minus up to 20 % at random). */
    detectionIntervalHours: z.number().min(1).max(22).default(22),
    wsusServers: z.array(WsusServerSpec).max(100).default([]),
    groups: z.array(GroupSpec).min(1).max(1000),
  })
  .strict()
  .superRefine((s, ctx) => {
    const servers = new Set<string>();
    s.wsusServers.forEach((w, i) => {
      if (servers.has(w.name)) ctx.addIssue({ code: 'custom', path: ['wsusServers', i, 'name'], message: 'duplicate' });
      servers.add(w.name);
    });
    const groups = new Set<string>();
    s.groups.forEach((g, i) => {
      if (groups.has(g.name)) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: 'duplicate' });
      groups.add(g.name);
      if (g.policy.kind === 'wsus' && !servers.has(g.policy.server)) {
        ctx.addIssue({
          code: 'custom',
          path: ['groups', i, 'policy', 'server'],
          message: `no WSUS server named "${g.policy.server}" in wsusServers`,
        });
      }
      if (g.min > g.count) ctx.addIssue({ code: 'custom', path: ['groups', i, 'min'], message: 'min exceeds count' });
    });
    if (s.groups.every((g) => g.count === 0))
      ctx.addIssue({ code: 'custom', path: ['groups'], message: 'no machines' });
  });

export type WsusServerSpec = z.infer<typeof WsusServerSpec>;
export type PolicySpec = z.infer<typeof PolicySpec>;
export type DetectionSpec = z.infer<typeof DetectionSpec>;
export type GroupSpec = z.infer<typeof GroupSpec>;
export type Scenario = z.infer<typeof Scenario>;
/** A scenario as written in a file (defaults not applied yet). */
export type ScenarioInput = z.input<typeof Scenario>;
