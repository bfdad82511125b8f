/**
 * `npm run demo`: the field report's story on one machine, no Windows needed. Starts a collector (embedded PGlite
 * unless DATABASE_URL is set) with thresholds matched to compressed time, a local webhook sink that prints the
 * alerts it receives, and the simulator's default fleet (50 real agents in simulate mode, WSUS stand-ins on
 * 127.0.0.1), then shows the fleet as the collector sees it. `--duration SECONDS` ends it by itself with a final
 * summary; Ctrl+C stops everything cleanly.
 *
 * Time: a simulated 22 h detection interval passes in 20 s (`--time-scale`, see packages/simulator/README.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig, startCollector, type Collector } from '@wuwatch/collector';
import {
  DEFAULT_TIME_SCALE,
  compressedCollectorConfig,
  fetchMachines,
  fetchSummary,
  formatAlert,
  formatCountsLine,
  formatStatusTable,
  loadScenario,
  startFleet,
  startWebhookSink,
  type Fleet,
} from '@wuwatch/simulator';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    agents: { type: 'string', default: '50' },
    port: { type: 'string', default: '8470' },
    'time-scale': { type: 'string', default: String(DEFAULT_TIME_SCALE) },
    scenario: { type: 'string' },
    workers: { type: 'string' },
  },
  strict: true,
});
const out = (s: string) => void process.stdout.write(s);
const clock = () => new Date().toISOString().slice(11, 19);

/** Alerts received, by rule (for the final summary). */
const alertsByRule = new Map<string, number>();

// ── onAlert hook ──────────────────────────────────────────────────────────────────────────────────────────────
// Every alert notification the collector delivers to the demo's webhook channel (alerts.channels) lands here.
// Replace or extend this function to do something else with them.
function onAlert(payload: unknown): void {
  const rule = (payload as { alert?: { rule?: string } }).alert?.rule ?? 'other';
  alertsByRule.set(rule, (alertsByRule.get(rule) ?? 0) + 1);
  out(`${clock()}  ${formatAlert(payload)}`);
}

async function listen(config: ReturnType<typeof loadConfig>): Promise<Collector> {
  const log = pino({ level: config.logLevel }, pino.destination(2));
  try {
    return await startCollector(config, log);
  } catch (err) {
    // The default port is taken (another collector?): any free port will do for a demo.
    if ((err as { code?: string }).code !== 'EADDRINUSE' || config.port === 0) throw err;
    out(`port ${config.port} is in use; using a free port instead\n`);
    return startCollector(loadConfig({ env: {}, overrides: { ...structuredClone(config), port: 0 } }), log);
  }
}

async function table(collector: Collector, token: string, fleet: Fleet): Promise<string> {
  const summary = await fetchSummary(collector.url, token);
  const problems = (await fetchMachines(collector.url, token)).filter((m) => m.status !== 'healthy');
  return formatStatusTable({ summary, problems, expected: fleet.plan.expectedStatuses });
}

async function main(): Promise<void> {
  const timeScale = Number(values['time-scale']);
  const duration = values.duration === undefined ? null : Number(values.duration) * 1000;
  if (duration !== null && !(duration > 0)) throw new Error('--duration must be a number of seconds');
  const scenario = await loadScenario(values.scenario);
  const adminToken = 'demo-' + randomBytes(16).toString('hex');
  const work = await mkdtemp(join(tmpdir(), 'wuwatch-demo-'));
  const sink = await startWebhookSink(onAlert);
  const config = loadConfig({
    overrides: {
      host: '127.0.0.1',
      port: Number(values.port),
      adminToken,
      dataDir: process.env.WUWATCH_DATA_DIR ?? join(work, 'data'),
      logLevel: 'error',
      ...compressedCollectorConfig({
        timeScale,
        webhookUrl: sink.url,
        alertEverySeconds: Number(values.agents) > 500 ? 30 : 5,
      }),
    },
  });
  out(
    `Starting the collector on ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'the embedded PGlite database (for trying out; production wants PostgreSQL)'}…\n`,
  );
  const collector = await listen(config);
  const started = Date.now();
  let fleet: Fleet | null = null;
  let shown = '';
  const ac = new AbortController();
  const starting = startFleet({
    collectorUrl: collector.url,
    adminToken,
    scenario,
    agents: Number(values.agents),
    timeScale,
    signal: ac.signal,
    ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
    onProgress: (up, total) => {
      if (fleet) return; // newcomers joining later are reported as events
      const line = `fleet coming up: ${up}/${total} agents`;
      if (process.stdout.isTTY) out(`\r${line}\x1b[K`);
      else if (up === total || up % 10 === 0) out(line + '\n');
      shown = line;
    },
    onEvent: (e) => {
      if (e.type === 'silenced') out(`${clock()}  ${e.hostname}: its link to the collector is cut (no goodbye)\n`);
      if (e.type === 'joined') out(`${clock()}  ${e.hostname}: a newly built server joins the fleet\n`);
    },
  });
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      out('\nstopping the fleet, the collector and the webhook sink…\n');
      ac.abort(); // if the fleet is still coming up, it stops there
      const f = await starting.catch(() => null);
      await f?.stop();
      await collector.close();
      await sink.close();
      await rm(work, { recursive: true, force: true });
    })());
  const interrupted = new Promise<void>((resolve) =>
    process.once('SIGINT', () => {
      process.once('SIGINT', () => process.exit(130));
      resolve();
    }),
  );
  void interrupted.then(() => stop().then(() => process.exit(0)));
  fleet = await starting.catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  if (stopping) return;
  if (process.stdout.isTTY && shown) out('\n');
  out(
    [
      '',
      `${fleet.machines.length} simulated servers report to ${collector.url} (scenario "${scenario.name}").`,
      `Time runs ${timeScale}× faster for Windows Update: a 22 h detection interval lasts ${(fleet.intervalMs / 1000).toFixed(0)} s.`,
      `Dashboard:   ${collector.url}/`,
      `Admin token: ${adminToken}`,
      `Try:         WUWATCH_URL=${collector.url} WUWATCH_TOKEN=${adminToken} npx wuwatch wsus`,
      `Alerts go to the local webhook sink ${sink.url} and are printed below as they arrive.`,
      duration === null
        ? 'Ctrl+C stops everything.'
        : `Ends by itself after ${duration / 1000} s (Ctrl+C stops earlier).`,
      '',
    ].join('\n'),
  );

  const counts = setInterval(() => {
    fetchSummary(collector.url, adminToken).then(
      (s) => out(`${clock()}  ${formatCountsLine(s)}\n`),
      () => undefined,
    );
  }, 10_000);
  const full = setInterval(() => {
    table(collector, adminToken, fleet).then(
      (t) => out(`\n${clock()}\n${t}\n`),
      () => undefined,
    );
  }, 60_000);
  const end = new Promise<void>((resolve) => {
    if (duration !== null) setTimeout(resolve, Math.max(0, duration - (Date.now() - started)));
  });
  await Promise.race([end, interrupted]);
  clearInterval(counts);
  clearInterval(full);
  if (stopping) return;
  out(`\n── Final summary after ${Math.round((Date.now() - started) / 1000)} s ──\n`);
  out(await table(collector, adminToken, fleet));
  const delivered = [...alertsByRule].map(([rule, n]) => `${rule} ${n}`).join(', ');
  out(`Alerts delivered to the webhook sink: ${sink.received}${delivered ? ` (${delivered})` : ''}\n`);
  await stop();
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
