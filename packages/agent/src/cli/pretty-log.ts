/**
 * `--pretty`: the agent's JSON log lines as one short line each for a person at a console. Hand-written rather than
 * pino-pretty: a dozen lines against a dependency tree (and its worker thread) in a resident service's bundle.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
// Fields every line has; printing them on each line would drown the message.
const QUIET = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'agentId']);

/** Formats one pino JSON line; a line that is not JSON is passed through as it is. */
export function formatLogLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = LEVELS[o.level as number] ?? String(o.level);
  const rest = Object.entries(o)
    .filter(([k]) => !QUIET.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const time = typeof o.time === 'string' ? o.time : new Date(o.time as number).toISOString();
  return `${time} ${level.padEnd(5)} ${typeof o.msg === 'string' ? o.msg : ''}${rest.length > 0 ? `  ${rest.join(' ')}` : ''}\n`;
}

/** A pino destination that writes {@link formatLogLine}'s lines to `out` (stderr for the CLI). */
export function prettyDestination(out: NodeJS.WritableStream): DestinationStream {
  return { write: (line: string) => void out.write(formatLogLine(line)) };
}
