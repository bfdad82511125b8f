/** A small Prometheus text-format registry: the handful of series the collector exposes. */

interface Series {
  render(): string;
}

class Counter implements Series {
  private value = 0;
  constructor(
    private readonly name: string,
    private readonly help: string,
  ) {}
  inc(n = 1): void {
    this.value += n;
  }
  get(): number {
    return this.value;
  }
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n${this.name} ${this.value}\n`;
  }
}

class Gauge implements Series {
  private value = 0;
  constructor(
    private readonly name: string,
    private readonly help: string,
  ) {}
  set(n: number): void {
    this.value = n;
  }
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${this.value}\n`;
  }
}

class Histogram implements Series {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly buckets: number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`));
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    );
    return lines.join('\n') + '\n';
  }
}

/** The collector's metrics. */
export class Metrics {
  readonly connectedAgents = new Gauge('wuwatch_connected_agents', 'Agents connected to this collector.');
  readonly eventsIngested = new Counter('wuwatch_events_ingested_total', 'Events stored (duplicates excluded).');
  readonly ingestLatency = new Histogram(
    'wuwatch_ingest_batch_seconds',
    'Time to store and acknowledge one batch.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  readonly databaseErrors = new Counter('wuwatch_database_errors_total', 'Database operations that failed.');
  readonly protocolErrors = new Counter('wuwatch_protocol_errors_total', 'Agent frames rejected as invalid.');

  /** Renders all series plus per-status machine counts supplied by the caller. */
  render(machinesByStatus: Record<string, number>): string {
    const status = [
      '# HELP wuwatch_machines Machines per status.',
      '# TYPE wuwatch_machines gauge',
      ...Object.entries(machinesByStatus).map(([s, n]) => `wuwatch_machines{status="${s}"} ${n}`),
    ].join('\n');
    return (
      [this.connectedAgents, this.eventsIngested, this.ingestLatency, this.databaseErrors, this.protocolErrors]
        .map((s) => s.render())
        .join('') +
      status +
      '\n'
    );
  }
}
