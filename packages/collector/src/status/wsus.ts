/**
 * The WSUS servers view: per normalised URL, who points at it, who can reach it, and orphan pointers. The counting,
 * the state and the orphan rule are core's (fleet/wsus.ts), shared with the alert rules; this adds the operator's note.
 */
import {
  countWsusPointers,
  isOrphanPointer,
  wsusServerState,
  type WsusPointer,
  type WsusPointerCounts,
  type WsusServerState,
} from '@wuwatch/core';

/** Aggregated facts about one WSUS URL (core's pointer counts plus the server's last answer). */
export interface WsusAggregate extends WsusPointerCounts {
  lastAnswerAt: Date | null;
}

/** One row of the WSUS servers view. */
export interface WsusServerView {
  url: string;
  machines: number;
  reachable: number;
  unreachable: number;
  /** Machines that reach it but get a wrong answer (HTTP 500, 404, …). */
  failing: number;
  lastAnswerAt: string | null;
  lastProbeAt: string | null;
  state: WsusServerState;
  /** One machine points at it and cannot reach it: the leftover-laptop case of the field report. */
  orphan: boolean;
  note: string;
}

/** Aggregates machine pointers per URL (in URL order), with each server's last answer. */
export function aggregateWsus(
  pointers: Iterable<WsusPointer>,
  lastAnswerAt: ReadonlyMap<string, Date | null> = new Map(),
): WsusAggregate[] {
  return [...countWsusPointers(pointers).values()]
    .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
    .map((c) => ({ ...c, lastAnswerAt: lastAnswerAt.get(c.url) ?? null }));
}

function noteFor(r: WsusAggregate, state: WsusServerState, orphan: boolean): string {
  if (orphan) {
    return `Only ${r.sampleHostname ?? 'one machine'} points at ${r.url} and it cannot reach it: probably a leftover Group Policy pointing at a server that no longer exists. Set "Specify intranet Microsoft update service location" to Not Configured or to the right server.`;
  }
  switch (state) {
    case 'unreachable':
      return `None of the ${r.machines} machines pointing at ${r.url} can reach it: the server or its WSUS app pool is down.`;
    case 'error':
      return `${r.url} answers, but wrongly (HTTP error), to ${r.failing === 1 ? 'the one machine' : `all ${r.failing} machines`} that probed it: the server is up and WSUS on it is broken (look at IIS, the WsusPool application pool and the WSUS service).`;
    case 'partial':
      return `${r.unreachable + r.failing} of ${r.machines} machines cannot reach ${r.url}${r.failing > 0 ? ` (${r.failing} get an HTTP error)` : ''}: look at their network path (proxy, firewall, DNS).`;
    case 'unprobed':
      return 'No probe result yet.';
    case 'ok':
      return 'Reachable.';
  }
}

/** Turns aggregates into the view, flagging dead servers and orphan pointers. */
export function buildWsusView(rows: readonly WsusAggregate[]): WsusServerView[] {
  return rows.map((r) => {
    const state = wsusServerState(r);
    const orphan = isOrphanPointer(r);
    return {
      url: r.url,
      machines: r.machines,
      reachable: r.reachable,
      unreachable: r.unreachable,
      failing: r.failing,
      lastAnswerAt: r.lastAnswerAt ? r.lastAnswerAt.toISOString() : null,
      lastProbeAt: r.lastProbeAt ? r.lastProbeAt.toISOString() : null,
      state,
      orphan,
      note: noteFor(r, state, orphan),
    };
  });
}
