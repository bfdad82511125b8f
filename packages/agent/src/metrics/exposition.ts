/**
 * The agent's metrics in the Prometheus text exposition format (version 0.0.4), written by hand: prom-client with
 * its default collectors raised a Node process's idle RSS by about 18 MB here (42.7 → 60.1 MB, measured with
 * `--expose-gc` after a scrape), a third of the agent's whole budget, for a dozen gauges. Pure: snapshots in, text out.
 * Process metric names are prom-client's defaults, so dashboards made for other Node services read them unchanged.
 */

/** What one agent reports (files mode runs several agents in one process: one snapshot each). */
export interface AgentMetricsSnapshot {
  /** The machine the agent reports as (its hostname, or the files-mode folder). */
  machine: string;
  mode: string;
  spool: { pending: number; lastSeq: number; ackedSeq: number };
  /** When the collector last acknowledged events (null: not yet in this run). */
  lastDeliveryAt: Date | null;
  connected: boolean;
  /** Protocol version of the current or last connection, null before the first welcome. */
  protocol: number | null;
  /** The last WSUS probe, null when none ran (no WSUS configured, or not yet). */
  probe: { at: Date; ok: boolean; class: string } | null;
  sources: { source: string; name: string; state: string }[];
}

/** The process-wide part: build, Node and process figures. */
export interface ProcessMetricsSnapshot {
  version: string;
  nodeVersion: string;
  now: Date;
  startTime: Date;
  cpu: { userMicros: number; systemMicros: number };
  memory: { rss: number; heapTotal: number; heapUsed: number; external: number };
}

/** Every state a source can report, so each one's gauge is 1 for its state and 0 for the others. */
const SOURCE_STATES = ['enabled', 'disabled', 'unavailable'] as const;
/** Every probe result class (core's ProbeClass), for the same reason. */
const PROBE_CLASSES = ['ok', 'dns', 'refused', 'timeout', 'tls', 'http_status', 'invalid_url', 'proxy_auth'] as const;

/** A label value escaped as the format requires (backslash, double quote, line feed). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

type Labels = Record<string, string>;
type Sample = [Labels, number];

function labels(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

const seconds = (d: Date): number => d.getTime() / 1000;

function family(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void {
  if (samples.length === 0) return;
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [l, v] of samples) out.push(`${name}${labels(l)} ${Number.isFinite(v) ? v : 'NaN'}`);
}

/** Renders the exposition text for the process and each agent. */
export function renderMetrics(proc: ProcessMetricsSnapshot, agents: readonly AgentMetricsSnapshot[]): string {
  const out: string[] = [];
  const per = (f: (a: AgentMetricsSnapshot, m: Labels) => Sample[]): Sample[] =>
    agents.flatMap((a) => f(a, { machine: a.machine }));
  family(out, 'wuwatch_agent_build_info', 'gauge', 'Always 1; the agent and Node versions as labels.', [
    [{ version: proc.version, node_version: proc.nodeVersion }, 1],
  ]);
  family(
    out,
    'wuwatch_agent_info',
    'gauge',
    'Always 1 per reporting machine; its run mode as a label.',
    per((a, m) => [[{ ...m, mode: a.mode }, 1]]),
  );
  family(
    out,
    'wuwatch_agent_spool_pending_events',
    'gauge',
    'Events in the spool not yet acknowledged by the collector.',
    per((a, m) => [[m, a.spool.pending]]),
  );
  family(
    out,
    'wuwatch_agent_spool_last_seq',
    'gauge',
    'Sequence number of the newest spooled event.',
    per((a, m) => [[m, a.spool.lastSeq]]),
  );
  family(
    out,
    'wuwatch_agent_acked_seq',
    'gauge',
    'Highest sequence number the collector acknowledged.',
    per((a, m) => [[m, a.spool.ackedSeq]]),
  );
  family(
    out,
    'wuwatch_agent_last_delivery_timestamp_seconds',
    'gauge',
    'When the collector last acknowledged events (Unix time); absent before the first acknowledgement of this run.',
    per((a, m) => (a.lastDeliveryAt ? [[m, seconds(a.lastDeliveryAt)]] : [])),
  );
  family(
    out,
    'wuwatch_agent_last_delivery_age_seconds',
    'gauge',
    'Seconds since the collector last acknowledged events; absent before the first acknowledgement of this run.',
    per((a, m) =>
      a.lastDeliveryAt ? [[m, Math.max(0, (proc.now.getTime() - a.lastDeliveryAt.getTime()) / 1000)]] : [],
    ),
  );
  family(
    out,
    'wuwatch_agent_collector_connected',
    'gauge',
    '1 while connected and welcomed by the collector.',
    per((a, m) => [[m, a.connected ? 1 : 0]]),
  );
  family(
    out,
    'wuwatch_agent_protocol_version',
    'gauge',
    'Protocol version negotiated with the collector (absent before the first welcome).',
    per((a, m) => (a.protocol === null ? [] : [[m, a.protocol]])),
  );
  family(
    out,
    'wuwatch_agent_probe_ok',
    'gauge',
    '1 when the last WSUS probe succeeded, 0 when it failed.',
    per((a, m) => (a.probe ? [[m, a.probe.ok ? 1 : 0]] : [])),
  );
  family(
    out,
    'wuwatch_agent_probe_last_timestamp_seconds',
    'gauge',
    'When the last WSUS probe ran (Unix time).',
    per((a, m) => (a.probe ? [[m, seconds(a.probe.at)]] : [])),
  );
  family(
    out,
    'wuwatch_agent_probe_result',
    'gauge',
    'The last WSUS probe result class: 1 for the class it had, 0 for the others.',
    per((a, m) =>
      a.probe ? PROBE_CLASSES.map((c): Sample => [{ ...m, class: c }, a.probe!.class === c ? 1 : 0]) : [],
    ),
  );
  family(
    out,
    'wuwatch_agent_source_state',
    'gauge',
    "A source's state (e.g. the WindowsUpdateClient/Operational event channel): 1 for its state, 0 for the others.",
    per((a, m) =>
      a.sources.flatMap((s) =>
        SOURCE_STATES.map((st): Sample => [
          { ...m, source: s.source, name: s.name, state: st },
          s.state === st ? 1 : 0,
        ]),
      ),
    ),
  );
  const cpuUser = proc.cpu.userMicros / 1e6;
  const cpuSystem = proc.cpu.systemMicros / 1e6;
  family(out, 'process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', [[{}, cpuUser]]);
  family(out, 'process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', [
    [{}, cpuSystem],
  ]);
  family(out, 'process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', [
    [{}, cpuUser + cpuSystem],
  ]);
  family(out, 'process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [
    [{}, Math.round(seconds(proc.startTime))],
  ]);
  family(out, 'process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [[{}, proc.memory.rss]]);
  family(out, 'nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', [
    [{}, proc.memory.heapTotal],
  ]);
  family(out, 'nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', [
    [{}, proc.memory.heapUsed],
  ]);
  family(out, 'nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', [
    [{}, proc.memory.external],
  ]);
  const [major = '', minor = '', patch = ''] = proc.nodeVersion.replace(/^v/, '').split('.');
  family(out, 'nodejs_version_info', 'gauge', 'Node.js version info.', [
    [{ version: proc.nodeVersion, major, minor, patch }, 1],
  ]);
  return out.join('\n') + '\n';
}

/** The process figures now. */
export function processSnapshot(version: string): ProcessMetricsSnapshot {
  const now = new Date();
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    version,
    nodeVersion: process.version,
    now,
    startTime: new Date(now.getTime() - process.uptime() * 1000),
    cpu: { userMicros: cpu.user, systemMicros: cpu.system },
    memory: { rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external },
  };
}
