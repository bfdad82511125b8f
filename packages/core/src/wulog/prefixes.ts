/**
 * Which messages a finding matcher may care about, by their first three characters (findings.ts dispatches on these
 * tables). Most lines start with something no matcher looks for ("Added update…", "Successfully wrote…", "Search
 * Scope…"); {@link mayMatterAt} lets the record parser skip building a record for them when nobody wants records.
 */

export const MARKER = 1; // may be a cycle START/END
export const SETTING = 2; // may be a settings key (settings.ts)
export const NETWORK = 4; // may be a network failure without a WARNING prefix
export const SWITCH = 8; // has a handler in the switch of onKeyLine

/**
 * What may match a message, by its first three characters: [prefix, flags]. Most lines start with something no
 * matcher looks for ("Added update…", "Successfully wrote…", "Search Scope…") and take the short path, which is also
 * a branch the CPU predicts; the checks behind a flag cost more than this lookup.
 */
const PREFIXES: readonly (readonly [string, number])[] = [
  ['** ', MARKER], // legacy `** START **` / `**  END  **`
  ['STA', MARKER], // modern `* START *` (the indent `* ` is skipped)
  ['END', MARKER],
  ['WSU', SETTING], // WSUS server:, WSUS status server:
  ['Win', SETTING | NETWORK], // Windows Update access disabled: / WinHttp: … failed for
  ['Tar', SETTING],
  ['Alt', SETTING],
  ['Fil', SETTING],
  ['Do ', SETTING], // Do not connect to Windows Update Internet locations:
  ['Exi', SWITCH],
  ['Fou', SWITCH],
  ['Fai', SWITCH], // Failed to synchronize / Failed to install update
  ['Ins', SWITCH], // Installation Successful/Failure, Install call complete
  ['Log', SWITCH], // LogHistory called. (modern per-update install result)
  ['REP', SWITCH],
  ['Ser', SWITCH], // ServiceID / ServiceId … Server URL / Server URL
  ['Ski', SWITCH],
  ['Tit', SWITCH],
  ['WS ', NETWORK], // WS error:
  ['Web', NETWORK],
  ['Sen', NETWORK],
  ['Dow', NETWORK], // DownloadFileInternal failed for (see INFO_WORDS below)
  ['Get', NETWORK],
];

/**
 * Words that start the only info messages a matcher takes among those of a prefix, where that is much narrower than
 * the prefix: the handlers in findings.ts test these same words. Many lines of a real log that start with one of
 * these prefixes are something else (`Get response for service…`, `Service 855E… is not in sequential scan list`,
 * `Skipping driver sync…`: 40 % of the records `parse-log` built on nine public logs); with the words they are
 * skipped unbuilt. WARNING/FATAL lines are not narrowed (the network matcher reads them whole).
 */
export const WORDS = {
  downloadFile: 'DownloadFileInternal',
  found: 'Found ',
  getConfig: 'GetConfig',
  serverUrl: 'Server URL = ',
  serviceId: 'ServiceI', // ServiceID = {…} (agent) / ServiceId = {…}, Server URL = … (protocol talker)
  skipping: 'Skipping scan, self-update check returned ',
} as const;

const INFO_WORDS: readonly (readonly [string, readonly string[]])[] = [
  ['Dow', [WORDS.downloadFile]], // not `Download manager restoring …`
  ['Fou', [WORDS.found]],
  ['Get', [WORDS.getConfig]],
  ['Ser', [WORDS.serviceId, WORDS.serverUrl]],
  ['Ski', [WORDS.skipping]],
];

/** Three characters as one number (the key of {@link WORDS_BY_PREFIX}). */
const key3 = (c: number, c2: number, c3: number) => (c << 16) | (c2 << 8) | c3;

/** {@link INFO_WORDS} by prefix, each word as bytes. */
const WORDS_BY_PREFIX = new Map<number, readonly Uint8Array[]>(
  INFO_WORDS.map(([prefix, words]) => [
    key3(prefix.charCodeAt(0), prefix.charCodeAt(1), prefix.charCodeAt(2)),
    words.map((w) => Uint8Array.from(w, (ch) => ch.charCodeAt(0))),
  ]),
);

/** Flags by the first two characters, and the third characters (up to two, one per byte) that complete a prefix. */
export const ACTIONS = new Uint8Array(128 * 128);
export const THIRD = new Uint16Array(128 * 128);
for (const [prefix, flags] of PREFIXES) {
  const i = (prefix.charCodeAt(0) << 7) | prefix.charCodeAt(1);
  ACTIONS[i]! |= flags;
  THIRD[i] = THIRD[i] === 0 ? prefix.charCodeAt(2) : (THIRD[i]! << 8) | prefix.charCodeAt(2);
}

const BRACE = 0x7b;

/** True when `word` is at byte `i` and ends by `e`. */
function wordAt(b: Uint8Array, i: number, e: number, word: Uint8Array): boolean {
  if (i + word.length > e) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return false;
  return true;
}

/** True when the bytes `fail` occur in `[i, e)` (matchNetworkError turns away every line without them). */
function containsFail(b: Uint8Array, i: number, e: number): boolean {
  for (let k = i; k + 3 < e; k++) {
    if (b[k] === 0x66 && b[k + 1] === 0x61 && b[k + 2] === 0x69 && b[k + 3] === 0x6c) return true;
  }
  return false;
}

/**
 * True when the message whose first byte is at `i` (line ends at `e`) may matter to a finding matcher: its first
 * three bytes start a prefix of the tables, it opens a pasted REPORT EVENT (`{`), or it is a WARNING/FATAL line
 * (`info` false) that the network matcher may take (it needs the word `fail`). Mirrors the character checks of
 * FindingsMachine.onRecord on the bytes of a line with an ASCII header: ASCII bytes are the same characters in
 * UTF-8 and Windows-1252, and bytes past the line's end read as none.
 */
export function mayMatterAt(b: Uint8Array, i: number, e: number, info: boolean): boolean {
  if (i >= e) return false;
  const c = b[i]!;
  if (c === BRACE) return true;
  const c2 = i + 1 < e ? b[i + 1]! : 0;
  const k = (c | c2) >= 0x80 ? 0 : (c << 7) | c2;
  const act = ACTIONS[k]!;
  if (act !== 0) {
    const third = THIRD[k]!;
    const c3 = i + 2 < e ? b[i + 2]! : -1;
    if ((third & 0xff) === c3 || third >>> 8 === c3) {
      if (!info) return true;
      const words = WORDS_BY_PREFIX.get(key3(c, c2, c3));
      if (words === undefined) return true;
      for (const w of words) if (wordAt(b, i, e, w)) return true;
      return false;
    }
  }
  return !info && containsFail(b, i, e);
}
