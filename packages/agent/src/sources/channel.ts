/**
 * Whether the Windows Update client's Operational event channel is on. On 2016+ that channel is where detections
 * are seen (the text log is gone), and it can be disabled; wuwatch would then see nothing and must say so rather
 * than stay silent. Read with `wevtutil gl <channel>`, whose `enabled: true|false` line is not localized.
 */
import { join } from 'node:path';
import { decodeWindowsText, isWuwatchError, type SourceStateData } from '@wuwatch/core';
import { readBytesIfExists } from '../platform/json-file.js';
import { system32Path, type PathEnv } from '../platform/paths.js';
import type { CommandRunner } from '../platform/runner.js';
import { OPERATIONAL_CHANNEL } from './events.js';

/** What is known about the channel. */
export type ChannelState =
  | { state: 'enabled' }
  | { state: 'disabled' }
  /** No wevtutil.exe on this system (Wine has none that works; a stripped image may lack it). */
  | { state: 'no_wevtutil'; detail: string }
  /** wevtutil ran but said nothing this parser recognises (Wine's prints nothing). */
  | { state: 'unknown'; detail: string };

/** Reads `wevtutil gl` output: the `enabled:` line decides. */
export function parseChannelConfig(output: Buffer | string): ChannelState {
  const text = typeof output === 'string' ? output : decodeWindowsText(output);
  const m = /^\s*enabled:\s*(true|false)\s*$/im.exec(text);
  if (!m)
    return { state: 'unknown', detail: text.trim() === '' ? 'wevtutil gl printed nothing' : text.trim().slice(0, 200) };
  return m[1]!.toLowerCase() === 'true' ? { state: 'enabled' } : { state: 'disabled' };
}

/** Runs `wevtutil gl` on the Operational channel through the runner. */
export async function readChannelState(
  runner: CommandRunner,
  opts: { env?: PathEnv; timeoutMs?: number } = {},
): Promise<ChannelState> {
  const file = system32Path('wevtutil.exe', opts.env);
  try {
    const r = await runner.run(file, ['gl', OPERATIONAL_CHANNEL], { timeoutMs: opts.timeoutMs ?? 30_000 });
    if (r.code !== 0) {
      const msg = decodeWindowsText(r.stderr).trim() || decodeWindowsText(r.stdout).trim();
      return { state: 'unknown', detail: `wevtutil gl exited ${r.code}: ${msg.slice(0, 200)}` };
    }
    return parseChannelConfig(r.stdout);
  } catch (err) {
    if (isWuwatchError(err, 'COMMAND_FAILED') && /not found/.test(err.message)) {
      return { state: 'no_wevtutil', detail: `${file} was not found` };
    }
    throw err;
  }
}

/** The Operational channel's state as the agent's run loop reads it. */
export interface ChannelStateSource {
  /** The channel's state now; null when this source cannot tell (a simulate folder without the captured file). */
  read(): Promise<ChannelState | null>;
}

/** File of the stand-in: `wevtutil gl Microsoft-Windows-WindowsUpdateClient/Operational` output, as captured. */
export const CHANNEL_FILE = 'wevtutil-gl-operational.txt';

/** Reads the channel's state with `wevtutil gl` (see {@link readChannelState}). */
export function windowsChannelStateSource(
  runner: CommandRunner,
  opts: { env?: PathEnv; timeoutMs?: number } = {},
): ChannelStateSource {
  return { read: () => readChannelState(runner, opts) };
}

/** Reads `DIR/wevtutil-gl-operational.txt`; no such file means nothing is known (null), not "disabled". */
export function fileChannelStateSource(dir: string): ChannelStateSource {
  return {
    async read() {
      const bytes = await readBytesIfExists(join(dir, CHANNEL_FILE));
      return bytes === null ? null : parseChannelConfig(bytes);
    },
  };
}

/**
 * The wire's `source_state` data for the channel's state: a missing wevtutil and output nobody can read are both
 * `unavailable` (the agent cannot see the channel either way), with the detail as the reason.
 */
export function channelStateData(state: ChannelState): SourceStateData {
  const base = { source: 'event_channel', name: OPERATIONAL_CHANNEL } as const;
  switch (state.state) {
    case 'enabled':
      return { ...base, state: 'enabled', reason: null };
    case 'disabled':
      return { ...base, state: 'disabled', reason: 'wevtutil gl reports enabled: false' };
    case 'no_wevtutil':
    case 'unknown':
      return { ...base, state: 'unavailable', reason: state.detail };
  }
}
