/**
 * One simulated Windows server on disk: its simulate directory (policy.reg, WindowsUpdate.log, events/*.xml,
 * wua.json) and the detection cycles Windows Update would add to it as (compressed) time passes.
 */
import { appendFile, mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachinePlan } from '../scenario/plan.js';
import { TRANSPORT_HRESULT } from '../scenario/outcome.js';
import { nextDetectionDelayMs, realMsFor } from '../time/scale.js';
import { CYCLE_DURATION_MS, legacyBanner, legacyCycle } from './legacy-log.js';
import {
  ETW_STUB,
  eventsFileXml,
  policyRegBytes,
  wuaJson,
  type DetectionEvent,
  type PolicyValues,
} from './windows-files.js';

/** Event files kept in events/ (the agent's reader reads them all on every poll). */
const KEPT_EVENT_FILES = 4;
const DAY_MS = 24 * 3_600_000;

/** What a machine needs besides its plan. */
export interface MachineContext {
  /** The machine's simulate directory. */
  dir: string;
  /** Its WSUS stand-in's URL (null: no WSUS server in its policy). */
  wsusUrl: string | null;
  /** Simulated hours between detections. */
  intervalHours: number;
  timeScale: number;
  /** Random numbers in [0, 1), seeded per machine. */
  random: () => number;
}

/** A simulated server's files and its detection schedule. */
export class SimMachine {
  /** Real time (ms since epoch) of the next detection cycle; null when it never scans again. */
  nextCycleAt: number | null = null;
  /** Detection cycles written since the start (history excluded). */
  cycles = 0;
  private recordId: number;
  private eventFile = 0;
  private readonly intervalMs: number;

  constructor(
    readonly plan: MachinePlan,
    private readonly ctx: MachineContext,
  ) {
    this.recordId = 4000 + Math.floor(ctx.random() * 50_000);
    this.intervalMs = realMsFor(ctx.intervalHours, ctx.timeScale);
  }

  /** Path of the simulated WindowsUpdate.log. */
  get logPath(): string {
    return join(this.ctx.dir, 'WindowsUpdate.log');
  }

  private get policy(): PolicyValues {
    const p = this.plan.policy;
    return { wsusUrl: p.kind === 'wsus' ? this.ctx.wsusUrl : null, useWuServer: p.kind !== 'microsoft_update' };
  }

  /** Writes the initial files (history included) and schedules the first live cycle. */
  async prepare(now: number): Promise<void> {
    const { dir } = this.ctx;
    await mkdir(join(dir, 'events'), { recursive: true });
    await writeFile(join(dir, 'policy.reg'), policyRegBytes(this.policy));
    const history = this.historyStarts(now);
    const lastSuccess = this.plan.cycleHresult === null || this.plan.role === 'stale' ? (history.at(-1) ?? null) : null;
    if (this.plan.log === 'legacy') {
      const bannerAt = new Date((history[0] ?? now) - 60_000);
      let text = legacyBanner(bannerAt, this.policy.wsusUrl);
      for (const start of history) text += this.cycleText(new Date(start), this.historyHresult());
      await writeFile(this.logPath, text);
    } else {
      await writeFile(this.logPath, ETW_STUB);
      const events = history.map((start) => this.nextEvent(start + CYCLE_DURATION_MS, this.historyHresult()));
      if (events.length > 0) await this.writeEvents(events);
    }
    if (this.plan.role !== 'newcomer') {
      await this.writeWua(lastSuccess === null ? null : new Date(lastSuccess + CYCLE_DURATION_MS));
    }
    this.nextCycleAt = this.firstCycleAt(now);
  }

  /** Writes one detection cycle ending now and schedules the next one. */
  async runCycle(now: number): Promise<void> {
    const hresult = this.plan.cycleHresult;
    const start = now - CYCLE_DURATION_MS;
    if (this.plan.log === 'legacy') await appendFile(this.logPath, this.cycleText(new Date(start), hresult));
    else await this.writeEvents([this.nextEvent(now, hresult)]);
    if (hresult === null) await this.writeWua(new Date(now));
    this.cycles++;
    this.nextCycleAt = now + nextDetectionDelayMs(this.ctx.intervalHours, this.ctx.timeScale, this.ctx.random());
  }

  // Start times of the cycles already in the log, oldest first, one interval apart.
  private historyStarts(now: number): number[] {
    const n = this.plan.role === 'stale' ? Math.max(1, this.plan.history) : this.plan.history;
    // A stale machine's last success is in calendar days, not compressed: stale under any threshold the
    // collector may use, compressed or not.
    const newest = this.plan.role === 'stale' ? now - this.plan.staleDays * DAY_MS : now - this.intervalMs;
    return Array.from({ length: n }, (_, i) => newest - (n - 1 - i) * this.intervalMs - CYCLE_DURATION_MS);
  }

  // A stale machine's old cycles succeeded: it simply stopped scanning.
  private historyHresult(): string | null {
    return this.plan.role === 'stale' ? null : this.plan.cycleHresult;
  }

  private firstCycleAt(now: number): number | null {
    switch (this.plan.role) {
      case 'stale':
        return null;
      case 'newcomer':
        return now + this.plan.firstScanAfterIntervals * this.intervalMs;
      default:
        // Spread over one interval, as a fleet's schedules are, leaving the agent a moment to probe its server.
        return now + (0.25 + 0.75 * this.ctx.random()) * this.intervalMs;
    }
  }

  private cycleText(start: Date, hresult: string | null): string {
    const behaviour = this.plan.serverBehaviour;
    const serverFault = hresult !== null && behaviour !== null && hresult === this.plan.cycleHresult;
    return legacyCycle({
      start,
      wsusUrl: this.policy.wsusUrl,
      managed: this.policy.useWuServer,
      hresult,
      transport: serverFault ? TRANSPORT_HRESULT[behaviour] : null,
      updates: Math.floor(this.ctx.random() * 6),
      tid: (0x1000 + Math.floor(this.ctx.random() * 0xefff)).toString(16),
    });
  }

  private nextEvent(time: number, hresult: string | null): DetectionEvent {
    this.recordId += 1 + Math.floor(this.ctx.random() * 3);
    return {
      recordId: this.recordId,
      time: new Date(time),
      hostname: this.plan.hostname,
      hresult,
      updates: Math.floor(this.ctx.random() * 6),
      managed: this.policy.useWuServer,
    };
  }

  // One new file per write, renamed into place so the agent never reads half of it; old files are pruned.
  private async writeEvents(events: DetectionEvent[]): Promise<void> {
    const folder = join(this.ctx.dir, 'events');
    const name = `${String(++this.eventFile).padStart(8, '0')}.xml`;
    const tmp = join(folder, `.${name}.tmp`);
    await writeFile(tmp, eventsFileXml(events));
    await rename(tmp, join(folder, name));
    if (this.eventFile > KEPT_EVENT_FILES) {
      const files = (await readdir(folder)).filter((f) => f.endsWith('.xml')).sort();
      for (const f of files.slice(0, Math.max(0, files.length - KEPT_EVENT_FILES))) {
        await unlink(join(folder, f)).catch(() => undefined);
      }
    }
  }

  private async writeWua(lastSearchSuccess: Date | null): Promise<void> {
    const file = join(this.ctx.dir, 'wua.json');
    await writeFile(file + '.tmp', wuaJson(lastSearchSuccess));
    await rename(file + '.tmp', file);
  }
}
