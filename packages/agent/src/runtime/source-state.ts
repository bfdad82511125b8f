/**
 * Tells the collector the state of the agent's sources (issue 12): a disabled Windows Update event channel is a
 * finding the operator must see, not silence. A state is sent when the agent starts and when it changes, never per
 * poll, and only to a collector that speaks protocol 2 or later: an older collector would quarantine the unknown
 * kind, so until a `welcome` says the negotiated version allows it, the state is kept and sent once it does.
 */
import { kindSupported, type SourceStateData } from '@wuwatch/core';
import type { Logger } from 'pino';
import type { SpoolInput } from '../spool/index.js';

/** One source's state as last read, with when it was read. */
export interface ObservedSourceState {
  data: SourceStateData;
  at: Date;
}

/** Options of {@link SourceStateReporter}. */
export interface SourceStateReporterOptions {
  /** Spools events (the agent's one durable store). */
  append: (events: SpoolInput[]) => Promise<unknown>;
  log: Logger;
}

const keyOf = (d: SourceStateData): string => `${d.source}:${d.name}`;
const sameState = (a: SourceStateData, b: SourceStateData): boolean => a.state === b.state && a.reason === b.reason;

/** Holds each source's state and spools a `source_state` event for each change the collector can read. */
export class SourceStateReporter {
  private readonly current = new Map<string, ObservedSourceState>();
  /** What was spooled per source during this run: a new run (a restart) sends every state once more. */
  private readonly sent = new Map<string, SourceStateData>();
  private protocol: number | null = null;
  /** Serialises flushes: a welcome and an observation arriving together must not spool one state twice. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SourceStateReporterOptions) {}

  /** The states known now (for the metrics endpoint). */
  states(): ObservedSourceState[] {
    return [...this.current.values()];
  }

  /** The protocol negotiated by the last welcome, null before the first. */
  get negotiatedProtocol(): number | null {
    return this.protocol;
  }

  /** Records a source's state as just read; logs a change and spools it if the collector can read it. */
  observe(data: SourceStateData, at: Date = new Date()): Promise<void> {
    const key = keyOf(data);
    const before = this.current.get(key);
    if (before && sameState(before.data, data)) return this.flushing;
    this.current.set(key, { data, at });
    const fields = { source: data.source, name: data.name, state: data.state, reason: data.reason };
    if (data.state === 'enabled') {
      if (before) this.opts.log.info(fields, `${data.name} is ${data.state} again`);
    } else {
      this.opts.log.warn(
        fields,
        `${data.name} is ${data.state}${data.reason ? ` (${data.reason})` : ''}: detections it would show cannot be seen`,
      );
    }
    return this.flush();
  }

  /** Records the protocol a `welcome` negotiated and sends what the collector has not had yet, if it can read it. */
  negotiated(protocol: number): Promise<void> {
    this.protocol = protocol;
    return this.flush();
  }

  private flush(): Promise<void> {
    const run = this.flushing.then(() => this.spoolUnsent());
    // A failed append leaves the state unsent (the next flush tries again) and must not poison later flushes.
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async spoolUnsent(): Promise<void> {
    if (this.protocol === null || !kindSupported('source_state', this.protocol)) return;
    const events: SpoolInput[] = [];
    const keys: [string, SourceStateData][] = [];
    for (const [key, { data, at }] of this.current) {
      const sent = this.sent.get(key);
      if (sent && sameState(sent, data)) continue;
      events.push({ time: at.toISOString(), kind: 'source_state', data: { ...data } });
      keys.push([key, data]);
    }
    if (events.length === 0) return;
    await this.opts.append(events);
    for (const [key, data] of keys) this.sent.set(key, data);
  }
}
