/** The agent's configuration (agent.json + environment + flags), validated once at start. */
import * as z from 'zod';
import { checkCollectorUrls, CollectorUrlsInput } from './collector-urls.js';

/** Every agent option with its default (documented in the README). */
export const AgentConfig = z
  .object({
    /**
     * Collector base URL, e.g. https://wuwatch.corp.example:8470 (ws/wss is derived), or several separated by commas
     * (collectors sharing one database: the agent uses the first that answers and moves on when it fails).
     */
    collectorUrl: CollectorUrlsInput.optional(),
    /** The same as a JSON list; give collectorUrl or collectorUrls, not both. */
    collectorUrls: CollectorUrlsInput.optional(),
    /** One-time enrollment secret; used only when the state directory holds no token yet. */
    enrollSecret: z.string().min(1).optional(),
    /** Where the token, offsets and spool live (%ProgramData%\wuwatch\state on Windows). */
    stateDir: z.string().min(1),
    /** File-backed stand-in for Windows: DIR/WindowsUpdate.log, policy.reg, events/*.xml, wua.json. */
    simulateDir: z.string().optional(),
    /** PEM file of a private CA that signed the collector's certificate (the collector connection only). */
    caFile: z.string().optional(),
    /**
     * PEM file of a CA the WSUS probe trusts besides the machine's certificate store (which it always trusts, as
     * Windows Update does); separate from caFile, which is about the collector.
     */
    wsusCaFile: z.string().optional(),
    /** Overrides the reported hostname (the simulator runs many agents on one host). */
    hostname: z.string().min(1).max(255).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Path of WindowsUpdate.log (default %windir%\WindowsUpdate.log, or DIR/WindowsUpdate.log when simulating). */
    logPath: z.string().optional(),
    intervals: z
      .object({
        tailMs: z.number().int().min(50).default(1000),
        policySeconds: z.number().positive().default(300),
        probeSeconds: z.number().positive().default(300),
        probeMaxBackoffSeconds: z.number().positive().default(3600),
        /** An unchanged probe result is reported at most this often (a "still the same" mark); changes at once. */
        probeRepeatSeconds: z.number().positive().default(21600),
        wuaSeconds: z.number().positive().default(3600),
        eventSeconds: z.number().positive().default(30),
      })
      .strict()
      .default({
        tailMs: 1000,
        policySeconds: 300,
        probeSeconds: 300,
        probeMaxBackoffSeconds: 3600,
        probeRepeatSeconds: 21600,
        wuaSeconds: 3600,
        eventSeconds: 30,
      }),
    probeTimeouts: z
      .object({
        dnsMs: z.number().int().positive(),
        tcpMs: z.number().int().positive(),
        tlsMs: z.number().int().positive(),
        httpMs: z.number().int().positive(),
      })
      .default({ dnsMs: 5000, tcpMs: 10000, tlsMs: 10000, httpMs: 30000 }),
    batch: z
      .object({
        maxEvents: z.number().int().min(1).max(1000).default(500),
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .max(900 * 1024)
          .default(512 * 1024),
        maxInFlight: z.number().int().min(1).max(16).default(2),
        /** Times the collector may refuse the same event before it is set aside in the spool. */
        maxRefusals: z.number().int().min(1).max(100).default(5),
      })
      .default({ maxEvents: 500, maxBytes: 512 * 1024, maxInFlight: 2, maxRefusals: 5 }),
    spoolMaxBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(256 * 1024 * 1024),
    heartbeatSeconds: z.number().positive().default(30),
    reconnect: z
      .object({
        baseMs: z.number().int().positive().default(1000),
        capMs: z
          .number()
          .int()
          .positive()
          .default(5 * 60_000),
      })
      .default({ baseMs: 1000, capMs: 5 * 60_000 }),
    /** The agent's own Prometheus `/metrics`: off unless `listen` (host:port) is set; loopback only unless allowed. */
    metrics: z
      .object({ listen: z.string().min(1).optional(), allowNonLoopback: z.boolean().default(false) })
      .strict()
      .default({ allowNonLoopback: false }),
  })
  .strict()
  .transform(({ collectorUrl, collectorUrls, ...rest }, ctx) => {
    if (collectorUrl !== undefined && collectorUrls !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['collectorUrls'],
        message: 'give collectorUrl or collectorUrls, not both',
      });
      return z.NEVER;
    }
    const given = collectorUrl ?? collectorUrls;
    const key = collectorUrl !== undefined ? 'collectorUrl' : 'collectorUrls';
    if (given === undefined) {
      ctx.addIssue({ code: 'custom', path: ['collectorUrl'], message: 'the collector URL is required' });
      return z.NEVER;
    }
    const { urls, problems } = checkCollectorUrls(given);
    for (const message of problems) ctx.addIssue({ code: 'custom', path: [key], message });
    if (problems.length > 0) return z.NEVER;
    // One list, in the order given: the transport and enrollment read nothing else.
    return { ...rest, collectorUrls: urls };
  });

/** The validated agent config: `collectorUrls` holds every collector URL, whichever way it was given. */
export type AgentConfig = z.infer<typeof AgentConfig>;
