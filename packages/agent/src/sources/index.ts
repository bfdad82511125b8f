/** Windows sources (policy, events, WUA results, WinHTTP proxy): Windows implementations and file-backed stand-ins. */
export type {
  EventPoll,
  EventPositions,
  EventPositionStore,
  EventSource,
  PolicySource,
  ProxySource,
  Sources,
  WuaSource,
} from './types.js';
export {
  MDM_CONFLICT_FILE,
  MDM_POLICY_FILE,
  MDM_QUERY_KEYS,
  POLICY_FILE,
  POLICY_QUERY_KEY,
  REG_QUERY_ARGS,
  emptyMdmPolicy,
  emptyPolicy,
  filePolicySource,
  mdmFromRegQueries,
  policyFromRegQuery,
  regQueryArgs,
  regQueryListing,
  windowsPolicySource,
} from './policy.js';
export type { WindowsPolicySourceOptions } from './policy.js';
export {
  CHANNEL_NOT_FOUND_EXIT,
  DEFAULT_EVENT_PAGE,
  EVENTS_DIR,
  OPERATIONAL_CHANNEL,
  WU_EVENT_CHANNELS,
  createEventSource,
  eventQuery,
  fileChannelReader,
  wevtutilNewestArgs,
  wevtutilQueryArgs,
  windowsChannelReader,
} from './events.js';
export type { ChannelReader, EventSourceOptions, WindowsEventOptions } from './events.js';
export { EVENT_POSITIONS_FILE, fileEventPositionStore, memoryEventPositionStore } from './event-store.js';
export type { FileEventPositionStoreOptions } from './event-store.js';
export {
  WUA_FILE,
  WUA_POWERSHELL_ARGS,
  WUA_SCRIPT,
  cleanPowerShellError,
  fileWuaSource,
  parseWuaDate,
  parseWuaOutput,
  windowsWuaSource,
} from './wua.js';
export type { WindowsWuaSourceOptions } from './wua.js';
export { NETSH_PROXY_ARGS, PROXY_FILE, fileProxySource, parseNetshProxy, windowsProxySource } from './proxy.js';
export type { WindowsProxySourceOptions } from './proxy.js';
export {
  CHANNEL_FILE,
  channelStateData,
  fileChannelStateSource,
  parseChannelConfig,
  readChannelState,
  windowsChannelStateSource,
} from './channel.js';
export type { ChannelState, ChannelStateSource } from './channel.js';
export { createSources } from './factory.js';
export type { CreateSourcesOptions } from './factory.js';
