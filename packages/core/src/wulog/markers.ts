/**
 * START/END lines of agent cycles: legacy `** START **  Agent: Finding updates [CallerId = X]` and
 * `**  END  **  Agent: Finding updates` (single spaces in pasted copies), modern `* START * Finding updates
 * CallerId = X  Id = N` and `* END * Finding updates CallerId = X, Id = N, Exit code = 0x…` (older builds put the exit
 * code on its own line and write `CallerId = X  Id = N`). Banner lines of stars are rejected by character checks
 * before any regex runs: they are frequent in legacy logs.
 */
import type { Hresult } from '../hresult/normalize.js';
import { hexCodeAt } from './codes.js';
import { skipBlanks, startsWithAt } from './message.js';

/** A recognised cycle marker. */
export interface CycleMarker {
  edge: 'start' | 'end';
  /** `Finding updates` = detection, `Installing updates` = install. */
  cycle: 'detection' | 'install';
  caller: string | null;
  /** Modern cycle Id (pairs START and END); null in legacy logs. */
  id: string | null;
  exitCode: Hresult | null;
}

const STAR = 0x2a;
const SPACE = 0x20;
const COMMA = 0x2c;
const CALLER = 'CallerId =';
const EXIT = 'Exit code = ';

/** Digits at `i` (the modern cycle Id), or null. */
function digitsAt(text: string, i: number): string | null {
  const end = text.length; // no read past it (out of bounds: a deoptimisation, codes.ts hexCodeAt)
  let p = i;
  for (let c = p < end ? text.charCodeAt(p) : -1; c >= 0x30 && c <= 0x39; c = ++p < end ? text.charCodeAt(p) : -1);
  return p === i ? null : text.slice(i, p);
}

/**
 * Modern `CallerId = X  Id = N` (START) or `CallerId = X, Id = N, Exit code = 0x…` (END): the caller and the Id. The
 * Id is the first `Id = ` after the caller that follows a blank or a comma ("CallerId" itself ends in "Id").
 */
function modernFields(text: string, from: number): { caller: string | null; id: string | null } {
  const c = text.indexOf(CALLER, from);
  if (c < 0) return { caller: null, id: null };
  const callerStart = c + CALLER.length;
  for (let i = text.indexOf('Id = ', callerStart); i >= 0; i = text.indexOf('Id = ', i + 5)) {
    const before = text.charCodeAt(i - 1);
    if (before !== SPACE && before !== 0x09) continue;
    let end = i - 1;
    while (end > callerStart && (text.charCodeAt(end - 1) === SPACE || text.charCodeAt(end - 1) === COMMA)) end--;
    return { caller: text.slice(callerStart, end).trim(), id: digitsAt(text, i + 5) };
  }
  return { caller: text.slice(callerStart).trim(), id: null };
}

/** `[CallerId = X]` → `X` (trimmed), or null when the line has none. */
function legacyCaller(text: string, from: number): string | null {
  const open = text.indexOf('[CallerId =', from);
  if (open < 0) return null;
  const close = text.indexOf(']', open);
  return close < 0 ? null : text.slice(open + 11, close).trim();
}

function cycleAt(text: string, i: number, legacy: boolean): 'detection' | 'install' | null {
  if (legacy) {
    if (!startsWithAt(text, 'Agent: ', i)) return null;
    i += 7;
  }
  if (startsWithAt(text, 'Finding updates', i)) return 'detection';
  if (startsWithAt(text, 'Installing updates', i)) return 'install';
  return null;
}

/** Reads the cycle marker whose first `*` is at `at`; null for any other line (banners, `*FAILED*`, services). */
export function parseCycleMarker(text: string, at: number): CycleMarker | null {
  if (text.charCodeAt(at) !== STAR) return null;
  const c1 = text.charCodeAt(at + 1);
  if (c1 === STAR) {
    if (text.charCodeAt(at + 2) !== SPACE) return null;
    let i = skipBlanks(text, at + 3);
    const start = startsWithAt(text, 'START', i);
    if (!start && !startsWithAt(text, 'END', i)) return null;
    i = skipBlanks(text, i + (start ? 5 : 3));
    if (!text.startsWith('**', i)) return null;
    const cycle = cycleAt(text, skipBlanks(text, i + 2), true);
    if (cycle === null) return null;
    return {
      edge: start ? 'start' : 'end',
      cycle,
      caller: start ? legacyCaller(text, i) : null,
      id: null,
      exitCode: null,
    };
  }
  if (c1 !== SPACE) return null;
  const start = startsWithAt(text, 'START *', at + 2);
  if (!start && !startsWithAt(text, 'END *', at + 2)) return null;
  const cycle = cycleAt(text, skipBlanks(text, at + (start ? 9 : 7)), false);
  if (cycle === null) return null;
  const fields = modernFields(text, at + 9);
  const exit = start ? -1 : text.indexOf(EXIT, at + 7);
  return {
    edge: start ? 'start' : 'end',
    cycle,
    caller: start ? fields.caller : null,
    id: fields.id,
    exitCode: exit < 0 ? null : hexCodeAt(text, exit + EXIT.length),
  };
}
