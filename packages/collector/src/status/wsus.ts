/** The WSUS servers view: per normalised URL, who points at it, who can reach it, and orphan pointers. */

/** Aggregated facts about one WSUS URL (from a GROUP BY over machines). */
export interface WsusAggregate {
  url: string;
  machines: number;
  /** Machines whose last probe of this URL succeeded. */
  reachable: number;
  /** Machines whose last probe of this URL failed. */
  unreachable: number;
  lastAnswerAt: Date | null;
  lastProbeAt: Date | null;
  /** Hostname of one machine pointing at it (the only one, for an orphan pointer). */
  sampleHostname: string | null;
}

/** One row of the WSUS servers view. */
export interface WsusServerView {
  url: string;
  machines: number;
  reachable: number;
  unreachable: number;
  lastAnswerAt: string | null;
  lastProbeAt: string | null;
  state: 'ok' | 'unreachable' | 'partial' | 'unprobed';
  /** One machine points at it and nobody can reach it: the leftover-laptop case of the field report. */
  orphan: boolean;
  note: string;
}

/** Turns aggregates into the view, flagging dead servers and orphan pointers. */
export function buildWsusView(rows: readonly WsusAggregate[]): WsusServerView[] {
  return rows.map((r) => {
    const state: WsusServerView['state'] =
      r.reachable === 0 && r.unreachable === 0
        ? 'unprobed'
        : r.reachable === 0
          ? 'unreachable'
          : r.unreachable === 0
            ? 'ok'
            : 'partial';
    const orphan = r.machines === 1 && state === 'unreachable';
    const note = orphan
      ? `Only ${r.sampleHostname ?? 'one machine'} points at ${r.url} and it cannot reach it: probably a leftover Group Policy pointing at a server that no longer exists. Set "Specify intranet Microsoft update service location" to Not Configured or to the right server.`
      : state === 'unreachable'
        ? `None of the ${r.machines} machines pointing at ${r.url} can reach it: the server or its WSUS app pool is down.`
        : state === 'partial'
          ? `${r.unreachable} of ${r.machines} machines cannot reach ${r.url}: look at their network path (proxy, firewall, DNS).`
          : state === 'unprobed'
            ? 'No probe result yet.'
            : 'Reachable.';
    return {
      url: r.url,
      machines: r.machines,
      reachable: r.reachable,
      unreachable: r.unreachable,
      lastAnswerAt: r.lastAnswerAt ? r.lastAnswerAt.toISOString() : null,
      lastProbeAt: r.lastProbeAt ? r.lastProbeAt.toISOString() : null,
      state,
      orphan,
      note,
    };
  });
}
