/**
 * The parser's resumable state: what a {@link WuLogParser} holds between two lines (cycles still open, a settings
 * block, held network and install lines, the line count, a partial line). A tail that checkpoints its file offset
 * saves this with it, so a restart in the middle of a detection cycle still reports that cycle, once.
 */
import * as z from 'zod';

const nullableString = z.string().nullable();
const nullableInt = z.number().int().nullable();

const detectionFinding = z.object({
  kind: z.literal('detection'),
  line: z.number().int(),
  start: nullableString,
  end: nullableString,
  caller: nullableString,
  managed: z.boolean().nullable(),
  serverUrl: nullableString,
  outcome: z.enum(['succeeded', 'failed', 'cancelled', 'unfinished']),
  hresult: nullableString,
  updatesFound: nullableInt,
  // Added after version 1 checkpoints were written: absent in those, so they default.
  serviceId: nullableString.default(null),
  serviceName: nullableString.default(null),
});

const settingsFinding = z.object({
  kind: z.literal('settings'),
  line: z.number().int(),
  time: nullableString,
  wsusServer: nullableString,
  statusServer: nullableString,
  targetGroup: nullableString,
  accessDisabled: z.boolean().nullable(),
});

const networkFinding = z.object({
  kind: z.literal('network_error'),
  line: z.number().int(),
  time: nullableString,
  hresult: nullableString,
  url: nullableString,
  httpStatus: nullableInt,
});

const installFinding = z.object({
  kind: z.literal('install'),
  line: z.number().int(),
  time: nullableString,
  outcome: z.enum(['succeeded', 'failed', 'cancelled']),
  hresult: nullableString,
  title: nullableString,
  kb: nullableString.default(null),
  updateId: nullableString.default(null),
  serviceId: nullableString.default(null),
});

const thread = { pid: nullableInt, tid: nullableString };

/** Schema of {@link ParserState}; a checkpoint file is checked with it before the state is trusted. */
export const ParserStateSchema = z.object({
  version: z.literal(1),
  lineNo: z.number().int().nonnegative(),
  /** Bytes of a line not yet ended by LF (base64), whether it was cut at the line limit, whether a BOM may come. */
  partial: z.object({ bytes: z.string(), truncated: z.boolean(), bomPending: z.boolean() }),
  detection: z.object({
    open: z.array(
      z.object({
        finding: detectionFinding,
        ...thread,
        id: nullableString,
        exitCode: nullableString,
        exitTime: nullableString.default(null),
        skipCode: nullableString,
        syncCode: nullableString,
      }),
    ),
    recent: z.array(detectionFinding),
    loose: z
      .object({ ...thread, code: z.string() })
      .nullable()
      .default(null),
  }),
  settings: z.object({ finding: settingsFinding, ...thread, seen: z.number().int() }).nullable(),
  network: z.object({ finding: networkFinding, ...thread }).nullable(),
  install: z.object({
    cycles: z.array(z.object({ ...thread, title: nullableString, titleCount: z.number().int() })),
    pending: z.array(installFinding),
    summary: z
      .object({ finding: installFinding, ...thread, failed: z.number().int() })
      .nullable()
      .default(null),
    historyFailures: z.number().int().nonnegative().default(0),
  }),
  /** A pasted REPORT EVENT wrapped over lines, still being joined. */
  report: z
    .object({ line: z.number().int(), time: nullableString, ...thread, text: z.string(), parts: z.number().int() })
    .nullable()
    .default(null),
});

/**
 * A parser's state between two chunks, plain JSON, as a caller may write it: fields added after version 1
 * checkpoints (service, loose exit code, install summary, wrapped report) may be left out and default.
 */
export type ParserState = z.input<typeof ParserStateSchema>;
/** A state after {@link ParserStateSchema} filled in the defaults: what the trackers restore from. */
export type ParsedParserState = z.infer<typeof ParserStateSchema>;

export { copyState } from './copy-state.js';
