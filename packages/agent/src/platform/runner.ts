/**
 * Running Windows tools (reg.exe, wevtutil.exe, powershell.exe, netsh.exe, icacls.exe, sc.exe, WinSW) behind one
 * small interface, so every caller can be tested on Linux with recorded output instead of the real tool.
 */
import { spawn } from 'node:child_process';
import { makeError } from '@wuwatch/core';

/** Options of one command run. */
export interface RunOptions {
  /** Kill the process and fail after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** How the caller will decode stdout; the runner uses it for stderr excerpts in its own error messages. */
  encoding?: BufferEncoding;
}

/** What a finished process left behind. Output stays bytes: Windows tools write several encodings. */
export interface CommandResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Runs one program with an argument vector (never a shell command line). */
export interface CommandRunner {
  run(file: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
}

/** Default timeout: generous, PowerShell's first COM call on a busy server can take tens of seconds. */
export const DEFAULT_RUN_TIMEOUT_MS = 60_000;
/** Most bytes kept per stream; the agent's commands print kilobytes, anything far beyond is runaway output. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * The real runner: spawn with an argv array, no shell, no console window. Node quotes each argument for
 * CreateProcess itself, so a value with spaces (a wevtutil /q: XPath, a path under Program Files) stays one argument.
 * Throws WUW_COMMAND_FAILED when the program cannot start, times out, dies from a signal or floods its output;
 * a non-zero exit code is a result, not an error (reg.exe exits 1 for "key not found").
 */
export function processRunner(): CommandRunner {
  return {
    run(file, args, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
      const shown = displayCommand(file, args);
      return new Promise<CommandResult>((resolve, reject) => {
        const child = spawn(file, [...args], { shell: false, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outBytes = 0;
        let failure: Error | null = null;
        const stop = (reason: string): void => {
          failure ??= makeError('COMMAND_FAILED', [shown, reason]);
          child.kill();
        };
        const collect = (chunks: Buffer[], chunk: Buffer): void => {
          outBytes += chunk.length;
          if (outBytes > MAX_OUTPUT_BYTES) stop(`it wrote more than ${MAX_OUTPUT_BYTES} bytes`);
          else chunks.push(chunk);
        };
        child.stdout.on('data', (c: Buffer) => collect(out, c));
        child.stderr.on('data', (c: Buffer) => collect(err, c));
        const timer = setTimeout(() => stop(`no answer within ${timeoutMs} ms`), timeoutMs);
        child.on('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          const reason = e.code === 'ENOENT' ? 'the program was not found' : e.message;
          reject(failure ?? makeError('COMMAND_FAILED', [shown, reason], undefined, e));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (failure !== null) return reject(failure);
          const stderr = Buffer.concat(err);
          if (code === null) {
            const excerpt = stderr
              .toString(opts.encoding ?? 'utf8')
              .trim()
              .slice(0, 200);
            return reject(makeError('COMMAND_FAILED', [shown, `killed by ${signal ?? 'a signal'} ${excerpt}`.trim()]));
          }
          resolve({ code, stdout: Buffer.concat(out), stderr });
        });
      });
    },
  };
}

/** The command as a person would type it in cmd.exe, for messages and dry runs. */
export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(quoteWindowsArg).join(' ');
}

/**
 * Quotes one argument the way CommandLineToArgvW reads it back: bare when it has no space, tab or quote,
 * otherwise in double quotes with backslashes doubled before a quote and before the closing quote.
 */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    out += ch === '"' ? '\\'.repeat(backslashes * 2 + 1) + '"' : '\\'.repeat(backslashes) + ch;
    backslashes = 0;
  }
  return out + '\\'.repeat(backslashes * 2) + '"';
}
