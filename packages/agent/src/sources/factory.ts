/** Builds the agent's sources for a real Windows host or for a simulate directory of captured files. */
import { join } from 'node:path';
import { makeError } from '@wuwatch/core';
import type { PathEnv } from '../platform/paths.js';
import type { CommandRunner } from '../platform/runner.js';
import { fileChannelStateSource, windowsChannelStateSource } from './channel.js';
import { EVENT_POSITIONS_FILE, fileEventPositionStore } from './event-store.js';
import { createEventSource, fileChannelReader, windowsChannelReader } from './events.js';
import { filePolicySource, windowsPolicySource } from './policy.js';
import { fileProxySource, windowsProxySource } from './proxy.js';
import type { EventPositionStore, Sources } from './types.js';
import { fileWuaSource, windowsWuaSource } from './wua.js';

/** Options of {@link createSources}. */
export interface CreateSourcesOptions {
  /** `win32` runs the Windows tools; `simulate` reads captured files from `simulateDir`. */
  platform: 'win32' | 'simulate';
  simulateDir?: string;
  /** Runs the Windows tools (unused in simulate mode). */
  runner: CommandRunner;
  /** Where the event positions file lives. */
  stateDir: string;
  /** Overrides the event position store (default: `<stateDir>/event-positions.json`). */
  eventStore?: EventPositionStore;
  /** Environment for %SystemRoot% (default process.env). */
  env?: PathEnv;
  /** Called when the event positions file is damaged and reading restarts from the beginning. */
  onDamagedState?: (file: string, reason: string) => void;
}

/** Creates policy, event, WUA, proxy and channel-state sources. Throws WUW_CONFIG_INVALID for simulate without a directory. */
export function createSources(opts: CreateSourcesOptions): Sources {
  const store =
    opts.eventStore ??
    fileEventPositionStore(join(opts.stateDir, EVENT_POSITIONS_FILE), { onDamaged: opts.onDamagedState });
  if (opts.platform === 'simulate') {
    const dir = opts.simulateDir?.trim() ?? '';
    if (dir === '') throw makeError('CONFIG_INVALID', ['simulateDir is required when the platform is "simulate"']);
    return {
      policy: filePolicySource(dir),
      events: createEventSource(fileChannelReader(dir), store),
      wua: fileWuaSource(dir),
      proxy: fileProxySource(dir),
      channel: fileChannelStateSource(dir),
    };
  }
  const env = opts.env === undefined ? {} : { env: opts.env };
  return {
    policy: windowsPolicySource(opts.runner, env),
    events: createEventSource(windowsChannelReader(opts.runner, env), store),
    wua: windowsWuaSource(opts.runner, env),
    proxy: windowsProxySource(opts.runner, env),
    channel: windowsChannelStateSource(opts.runner, env),
  };
}
