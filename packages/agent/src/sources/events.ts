/**
 * Event source: Windows Update client events newer than the last committed record ID per channel.
 * Windows reads with `wevtutil qe`; the stand-in reads `DIR/events/*.xml`. Both share the paging and the reset check.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WU_CLIENT_PROVIDER, decodeWindowsText, makeError, parseWevtutilXml } from '@wuwatch/core';
import type { WinEvent } from '@wuwatch/core';
import { errCode } from '../platform/json-file.js';
import { system32Path } from '../platform/paths.js';
import type { PathEnv } from '../platform/paths.js';
import { displayCommand } from '../platform/runner.js';
import type { CommandRunner } from '../platform/runner.js';
import type { EventPoll, EventPositions, EventPositionStore, EventSource } from './types.js';

/** The Operational channel of the Windows Update client. */
export const OPERATIONAL_CHANNEL = 'Microsoft-Windows-WindowsUpdateClient/Operational';
/** Channels read, in the order events are returned. */
export const WU_EVENT_CHANNELS: readonly string[] = Object.freeze(['System', OPERATIONAL_CHANNEL]);
/** Most events read per channel and poll. */
export const DEFAULT_EVENT_PAGE = 500;
/** wevtutil's exit code for a channel that does not exist (ERROR_EVT_CHANNEL_NOT_FOUND). */
export const CHANNEL_NOT_FOUND_EXIT = 15007;
/** Folder of the stand-in's event files. */
export const EVENTS_DIR = 'events';

/** How a source reads one channel; implemented by wevtutil and by the file stand-in. */
export interface ChannelReader {
  /** Events of the channel with record ID above `after`, oldest first, at most `max`. */
  query(channel: string, after: number, max: number): Promise<WinEvent[]>;
  /** Highest record ID in the channel (any provider), or null when it is empty. */
  newest(channel: string): Promise<number | null>;
}

/**
 * XPath for wevtutil /q: record IDs above `after`; System is shared by every provider, so it also filters on the
 * Windows Update client provider.
 */
export function eventQuery(channel: string, after: number): string {
  const provider = channel.toLowerCase() === 'system' ? `Provider[@Name='${WU_CLIENT_PROVIDER}'] and ` : '';
  return `*[System[${provider}EventRecordID>${after}]]`;
}

/**
 * wevtutil arguments. The `/q:` value is ONE argv element without shell quotes: no shell parses it, and Node quotes
 * it for CreateProcess because it contains spaces, which wevtutil's parser then removes.
 */
export function wevtutilQueryArgs(channel: string, after: number, max: number): string[] {
  return ['qe', channel, `/q:${eventQuery(channel, after)}`, '/f:xml', '/e:Events', `/c:${max}`];
}

/** wevtutil arguments reading the newest record of a channel. */
export function wevtutilNewestArgs(channel: string): string[] {
  return ['qe', channel, '/c:1', '/rd:true', '/f:xml', '/e:Events'];
}

/** Options of {@link windowsChannelReader}. */
export interface WindowsEventOptions {
  env?: PathEnv;
  timeoutMs?: number;
}

/** Reads channels with wevtutil.exe. A missing channel (old OS) reads as empty; other failures throw. */
export function windowsChannelReader(runner: CommandRunner, opts: WindowsEventOptions = {}): ChannelReader {
  const file = system32Path('wevtutil.exe', opts.env);
  const run = async (args: string[]): Promise<WinEvent[]> => {
    const r = await runner.run(file, args, { timeoutMs: opts.timeoutMs ?? 60_000 });
    if (r.code === CHANNEL_NOT_FOUND_EXIT) return [];
    if (r.code !== 0) {
      const msg = decodeWindowsText(r.stderr).trim().slice(0, 300) || 'no message';
      throw makeError('COMMAND_FAILED', [displayCommand(file, args), `exit code ${r.code}: ${msg}`]);
    }
    return parseWevtutilXml(decodeWindowsText(r.stdout));
  };
  return {
    query: (channel, after, max) => run(wevtutilQueryArgs(channel, after, max)),
    async newest(channel) {
      const events = await run(wevtutilNewestArgs(channel));
      return events.length === 0 ? null : Math.max(...events.map((e) => e.recordId));
    },
  };
}

/**
 * Stand-in reader over `DIR/events/*.xml` (wevtutil captures, any number of files, read in name order on every
 * call so a simulator can add files while the agent runs). Filters like the Windows query does.
 */
export function fileChannelReader(dir: string): ChannelReader {
  const folder = join(dir, EVENTS_DIR);
  const all = async (channel: string): Promise<WinEvent[]> => {
    let names: string[];
    try {
      names = (await readdir(folder)).filter((n) => n.toLowerCase().endsWith('.xml')).sort();
    } catch (err) {
      if (errCode(err) === 'ENOENT') return [];
      throw makeError('FILE_UNREADABLE', [folder], undefined, err);
    }
    const events: WinEvent[] = [];
    for (const name of names) {
      const path = join(folder, name);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        throw makeError('FILE_UNREADABLE', [path], undefined, err);
      }
      events.push(...parseWevtutilXml(decodeWindowsText(bytes)));
    }
    return events.filter((e) => e.channel.toLowerCase() === channel.toLowerCase());
  };
  const isWu = (e: WinEvent): boolean => e.provider.toLowerCase() === WU_CLIENT_PROVIDER.toLowerCase();
  return {
    async query(channel, after, max) {
      const events = (await all(channel)).filter((e) => isWu(e) && e.recordId > after);
      return events.sort((a, b) => a.recordId - b.recordId).slice(0, max);
    },
    async newest(channel) {
      const ids = (await all(channel)).map((e) => e.recordId);
      return ids.length === 0 ? null : Math.max(...ids);
    },
  };
}

/** Options of {@link createEventSource}. */
export interface EventSourceOptions {
  channels?: readonly string[];
  pageSize?: number;
}

/**
 * An event source over a channel reader and a position store. When a channel returns nothing, its newest record
 * is checked: a newest ID below the stored position means the log was cleared or recreated, and the channel is
 * read again from the start instead of waiting for IDs that may never come back.
 */
export function createEventSource(
  reader: ChannelReader,
  store: EventPositionStore,
  opts: EventSourceOptions = {},
): EventSource {
  const channels = opts.channels ?? WU_EVENT_CHANNELS;
  const pageSize = opts.pageSize ?? DEFAULT_EVENT_PAGE;
  return {
    async poll(): Promise<EventPoll> {
      const stored = await store.load();
      const positions: EventPositions = {};
      const events: WinEvent[] = [];
      let more = false;
      for (const channel of channels) {
        let after = stored[channel] ?? 0;
        let page = await reader.query(channel, after, pageSize);
        if (page.length === 0 && after > 0) {
          const newest = await reader.newest(channel);
          if (newest === null || newest < after) {
            after = 0;
            page = await reader.query(channel, 0, pageSize);
          }
        }
        const fresh = page.filter((e) => e.recordId > after).sort((a, b) => a.recordId - b.recordId);
        events.push(...fresh);
        positions[channel] = fresh.length === 0 ? after : fresh[fresh.length - 1]!.recordId;
        if (page.length >= pageSize) more = true;
      }
      return { events, positions, more };
    },
    async commit(positions) {
      const stored = await store.load();
      await store.save({ ...stored, ...positions });
    },
  };
}
