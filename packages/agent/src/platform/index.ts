/** Platform edge: running Windows tools behind an interface, decoding their output, and the agent's paths. */
export { DEFAULT_RUN_TIMEOUT_MS, MAX_OUTPUT_BYTES, displayCommand, processRunner, quoteWindowsArg } from './runner.js';
export type { CommandResult, CommandRunner, RunOptions } from './runner.js';
export { RecordingRunner } from './fake-runner.js';
export type { CallMatcher, FakeAnswer, FakeReply, RecordedCall } from './fake-runner.js';
export {
  AGENT_CONFIG_FILE,
  STATE_DIR_NAME,
  nativeSystem32Path,
  programDataDir,
  resolveStateDir,
  system32Path,
} from './paths.js';
export type { PathEnv, StateDirOptions } from './paths.js';
export { errCode, readBytesIfExists, readTextIfExists, writeJsonAtomic } from './json-file.js';
