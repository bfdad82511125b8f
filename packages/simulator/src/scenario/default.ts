/**
 * The built-in scenario: the field report's fleet. 50 machines at nominal size (13 at least), every status at least
 * once: most servers on a healthy WSUS, a branch still pointing at a WSUS whose app pool died (503), a DMZ pair behind
 * a server that hangs, a lab pair on a wrong vdir (404), one leftover build box pointing at a server that no longer
 * exists (the only orphan pointer: every other failing server has two machines or more), a Microsoft Update machine
 * whose scans fail locally, a stale one, a misconfigured policy, an agent that goes silent and newly built servers
 * that have not scanned yet.
 */
import type { ScenarioInput } from './schema.js';

/** The default scenario as a scenario file would hold it. */
export const DEFAULT_SCENARIO: ScenarioInput = {
  name: 'default',
  description:
    'The field report: a fleet where a few servers still point at a WSUS server that died, plus one of each other problem.',
  detectionIntervalHours: 22,
  wsusServers: [
    { name: 'wsus-hq', behaviour: 'healthy' },
    { name: 'wsus-branch', behaviour: '503' },
    { name: 'wsus-dmz', behaviour: 'hang' },
    { name: 'wsus-lab', behaviour: '404' },
    { name: 'wsus-old', behaviour: 'refuse' },
  ],
  groups: [
    { name: 'hq-web', count: 17, min: 1, log: 'legacy', policy: { kind: 'wsus', server: 'wsus-hq' } },
    { name: 'hq-app', count: 13, log: 'event', policy: { kind: 'wsus', server: 'wsus-hq' } },
    { name: 'desk', count: 4, log: 'event', os: 'Windows 10 (simulated)', policy: { kind: 'microsoft_update' } },
    { name: 'branch', count: 4, min: 2, log: 'legacy', policy: { kind: 'wsus', server: 'wsus-branch' } },
    { name: 'branch-ev', count: 2, log: 'event', policy: { kind: 'wsus', server: 'wsus-branch' } },
    { name: 'dmz', count: 2, fixed: true, log: 'legacy', policy: { kind: 'wsus', server: 'wsus-dmz' } },
    { name: 'lab', count: 2, fixed: true, log: 'legacy', policy: { kind: 'wsus', server: 'wsus-lab' } },
    { name: 'buildbox', count: 1, fixed: true, log: 'legacy', policy: { kind: 'wsus', server: 'wsus-old' } },
    {
      name: 'mu-broken',
      count: 1,
      fixed: true,
      log: 'event',
      policy: { kind: 'microsoft_update' },
      detection: { kind: 'fail', hresult: '0x80240022' },
    },
    {
      name: 'stale',
      count: 1,
      fixed: true,
      log: 'legacy',
      role: 'stale',
      staleDays: 9,
      policy: { kind: 'wsus', server: 'wsus-hq' },
    },
    { name: 'misconf', count: 1, fixed: true, log: 'legacy', policy: { kind: 'misconfigured' } },
    { name: 'gone', count: 1, fixed: true, log: 'event', role: 'silent', policy: { kind: 'wsus', server: 'wsus-hq' } },
    {
      name: 'new',
      count: 1,
      fixed: true,
      log: 'event',
      role: 'newcomer',
      os: 'Windows Server 2022 (simulated)',
      policy: { kind: 'microsoft_update' },
    },
  ],
};
