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
  ['Dow', NETWORK], // DownloadFileInternal failed for
  ['Get', NETWORK],
];

/** Flags by the first two characters, and the third characters (up to two, one per byte) that complete a prefix. */
export const ACTIONS = new Uint8Array(128 * 128);
export const THIRD = new Uint16Array(128 * 128);
for (const [prefix, flags] of PREFIXES) {
  const i = (prefix.charCodeAt(0) << 7) | prefix.charCodeAt(1);
  ACTIONS[i]! |= flags;
  THIRD[i] = THIRD[i] === 0 ? prefix.charCodeAt(2) : (THIRD[i]! << 8) | prefix.charCodeAt(2);
}

const BRACE = 0x7b;

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
      // `Download manager restoring …` is frequent and only `DownloadFileInternal` matters (findings.ts). Tested on
      // the third character: `Do` also starts a settings key (`Do not connect…`), so the flags of `Do` are not only
      // NETWORK, and a test on them let every `Download manager` line be built (a third of the records parse-log
      // built on a generated legacy log).
      return !(info && c === 0x44 && c3 === 0x77 && (i + 8 >= e || b[i + 8] !== 0x46));
    }
  }
  return !info && containsFail(b, i, e);
}
