/** What the agent reads from Windows, as interfaces with a Windows implementation and a file-backed stand-in each. */
import type { MdmUpdatePolicy, UpdatePolicy, WinEvent, WuaData } from '@wuwatch/core';
import type { ProxyConfig } from '../probe/index.js';
import type { ChannelStateSource } from './channel.js';

/** The Windows Update Group Policy of the machine. */
export interface PolicySource {
  /** The typed policy; an empty policy (no keys) when none is configured. */
  read(): Promise<UpdatePolicy>;
  /** The MDM (Intune) PolicyManager store; `present: false` when MDM set no Update policy. */
  readMdm(): Promise<MdmUpdatePolicy>;
}

/** Highest event record ID already handed on, per channel. */
export type EventPositions = Record<string, number>;

/** Events newer than the committed positions. */
export interface EventPoll {
  /** Windows Update client events, per channel in record order (channels in {@link WU_EVENT_CHANNELS} order). */
  events: WinEvent[];
  /** Positions to commit once the events are stored: the highest record ID returned per channel. */
  positions: EventPositions;
  /** True when a channel returned a full page: poll again before waiting. */
  more: boolean;
}

/**
 * Windows Update client events from the System and Operational channels. Reading does not move the position:
 * the caller commits after it has stored the events, so a crash in between re-reads them (at-least-once).
 */
export interface EventSource {
  poll(): Promise<EventPoll>;
  /** Persists positions; never moves a channel backwards except after a detected log reset. */
  commit(positions: EventPositions): Promise<void>;
}

/** Persisted event positions (a small JSON state file, or memory in tests). */
export interface EventPositionStore {
  load(): Promise<EventPositions>;
  save(positions: EventPositions): Promise<void>;
}

/** Results of the Windows Update Agent API (Microsoft.Update.AutoUpdate .Results). */
export interface WuaSource {
  /** UTC ISO dates or null when WUA has none; the whole result is null when the stand-in has no file. */
  read(): Promise<WuaData | null>;
}

/** The WinHTTP system proxy Windows Update detection uses. */
export interface ProxySource {
  /** The proxy, or null for direct access. */
  read(): Promise<ProxyConfig | null>;
}

/** Every source the agent reads. */
export interface Sources {
  policy: PolicySource;
  events: EventSource;
  wua: WuaSource;
  proxy: ProxySource;
  /** Whether the Windows Update client's Operational event channel is on (read in event mode only). */
  channel: ChannelStateSource;
}
