/** The collector's one pino root logger; components get child loggers with `component` set. */
import { pino, type Logger, type DestinationStream } from 'pino';

/** Paths pino redacts wherever they appear in a log object. */
export const REDACT_PATHS = [
  'token',
  'secret',
  'password',
  'authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  'req.headers.authorization',
  'config.smtp.pass',
  'config.webhook.secret',
];

/** Creates the process's root logger (JSON to stdout unless a destination is passed). */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wuwatch-collector' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
