/**
 * Fleet-level WSUS rules: per server, how many machines point at it and what their probes say; its state; and the
 * orphan pointer of the field report (one machine still aimed at a server nobody can reach). The WSUS servers view,
 * the alert rules, the dashboard and the CLI (through the API) all read these, so they cannot disagree.
 */
import { probeReach, type ProbeFacts } from './probe.js';

/** One machine's pointer: the (normalised) WSUS URL from its policy and its last probe. */
export interface WsusPointer {
  url: string;
  hostname: string;
  probe: ProbeFacts | null;
  probeAt: Date | null;
}

/** What the machines pointing at one WSUS URL say about it. */
export interface WsusPointerCounts {
  url: string;
  machines: number;
  /** Machines whose last probe got a WSUS answer. */
  reachable: number;
  /** Machines whose last probe got nothing usable (probeReach `unreachable`). */
  unreachable: number;
  /** Machines whose last probe got a wrong answer or had no valid URL (the server is there but broken). */
  failing: number;
  lastProbeAt: Date | null;
  /** The first hostname (in code-point order) pointing at it: the only one, for an orphan pointer. */
  sampleHostname: string | null;
}

/** State of a WSUS server as the machines pointing at it see it. */
export type WsusServerState = 'ok' | 'unreachable' | 'error' | 'partial' | 'unprobed';

/** Every state, for validation and documentation. */
export const WSUS_SERVER_STATES: readonly WsusServerState[] = ['ok', 'unreachable', 'error', 'partial', 'unprobed'];

/** Counts pointers per URL (the order of the first sighting of each URL is kept). */
export function countWsusPointers(pointers: Iterable<WsusPointer>): Map<string, WsusPointerCounts> {
  const byUrl = new Map<string, WsusPointerCounts>();
  for (const p of pointers) {
    let c = byUrl.get(p.url);
    if (!c) {
      c = {
        url: p.url,
        machines: 0,
        reachable: 0,
        unreachable: 0,
        failing: 0,
        lastProbeAt: null,
        sampleHostname: null,
      };
      byUrl.set(p.url, c);
    }
    c.machines++;
    if (c.sampleHostname === null || p.hostname < c.sampleHostname) c.sampleHostname = p.hostname;
    if (p.probe) {
      const reach = probeReach(p.probe);
      if (reach === 'ok') c.reachable++;
      else if (reach === 'unreachable') c.unreachable++;
      else c.failing++;
    }
    if (p.probeAt && (c.lastProbeAt === null || p.probeAt > c.lastProbeAt)) c.lastProbeAt = p.probeAt;
  }
  return byUrl;
}

/**
 * The server's state: `unprobed` no probe yet; `unreachable` no probe got anything; `ok` every probe got a WSUS
 * answer; `error` every probe got an answer and none a good one; `partial` the machines disagree.
 */
export function wsusServerState(c: Pick<WsusPointerCounts, 'reachable' | 'unreachable' | 'failing'>): WsusServerState {
  const answered = c.reachable + c.failing;
  if (answered + c.unreachable === 0) return 'unprobed';
  if (answered === 0) return 'unreachable';
  if (c.unreachable > 0) return 'partial';
  if (c.failing === 0) return 'ok';
  return c.reachable === 0 ? 'error' : 'partial';
}

/**
 * An orphan pointer: exactly one machine points at the server and it cannot reach it (a server that answers, even
 * with HTTP 500, exists and is not an orphan's target).
 */
export function isOrphanPointer(c: Pick<WsusPointerCounts, 'machines' | 'unreachable'>): boolean {
  return c.machines === 1 && c.unreachable === 1;
}
