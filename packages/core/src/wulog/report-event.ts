/**
 * `REPORT EVENT:` lines, the client's one-line verdicts:
 * `{EventGUID}<TAB>YYYY-MM-DD HH:MM:SS:mmm±zzzz<TAB>1<TAB>148 [AGENT_DETECTION_FAILED]<TAB>101<TAB>{UpdateGUID}<TAB>1
 * <TAB>80244022<TAB>SelfUpdate<TAB>Failure<TAB>Software Synchronization<TAB>Windows Update Client failed to detect…`.
 * Pasted copies have the TABs turned into single spaces, so both shapes are read.
 */
import type { Hresult } from '../hresult/normalize.js';
import { isCalendarDate } from './calendar.js';
import { hexCode, hexCodeAt } from './codes.js';
import { skipBlanks, startsWithAt } from './message.js';

/** The parts of a REPORT EVENT the findings use. */
export interface ReportEvent {
  eventId: number | null;
  /** The hr field, normalised (0x00000000 on success). */
  hresult: Hresult | null;
  caller: string | null;
  success: boolean;
  category: string;
  message: string;
}

const PREFIX = 'REPORT EVENT:';
const CATEGORIES = 'Software Synchronization|Content Download|Content Install|Pre-Deployment Check|Uninstall';
// The caller `(.*?)` is trimmed in code: a `\s*` after the lazy group would rescan a run of blanks from every
// position in it (quadratic), and a REPORT EVENT line of a megabyte of blanks hung the parser. For the same reason
// the blanks before the caller are taken whole (`(?!\s)`), never given back to it one by one.
const SPACED = new RegExp(
  String.raw`^\s*\{[^}]*\}\s+\S+\s+\S+\s+\d+\s+(\d+)(?:\s+\[\w+\])?\s+\d+\s+\{[^}]*\}\s+\d+\s+([0-9A-Fa-f]{1,8})\s+(?!\s)` +
    String.raw`(.*?)\b(Success|Failure)\s+(${CATEGORIES}|\S+)\s*(.*)$`,
);

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** The hr field `[i, end)`: hex, normalised; null unless the field holds just the code (blanks aside). */
function hrAt(text: string, i: number, end: number): Hresult | null {
  const code = hexCodeAt(text, i);
  if (code === null) return null;
  let p = i;
  if (text.charCodeAt(p) === 0x30 && (text.charCodeAt(p + 1) | 0x20) === 0x78) p += 2;
  while (p < end && isHexDigit(text.charCodeAt(p))) p++;
  return skipBlanks(text, p) >= end ? code : null;
}

function hrField(raw: string | undefined): Hresult | null {
  return raw !== undefined && /^[0-9A-Fa-f]{1,8}$/.test(raw) ? hexCode(raw) : null;
}

/** True when the message starting at `at` is a REPORT EVENT. */
export function isReportEvent(text: string, at: number): boolean {
  return startsWithAt(text, PREFIX, at);
}

/** Parses the REPORT EVENT whose prefix starts at `at`; null when the fields are not recognisable. */
export function parseReportEvent(text: string, at: number): ReportEvent | null {
  return parseReportFields(text, at + PREFIX.length);
}

const HEAD =
  /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}\s+(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})[:.](\d{3})[+-]\d{4}(?:\s|$)/;

/**
 * True when the message at `at` is the text of a REPORT EVENT without its `REPORT EVENT:` prefix and log header, as
 * pasted from CBS.log / CbsPersist or a web page: `{EventGUID} YYYY-MM-DD HH:MM:SS:mmm±zzzz 1 148 [AGENT_…] …`.
 */
export function isReportHead(text: string, at: number): boolean {
  return (
    text.charCodeAt(at) === 0x7b && text.charCodeAt(at + 37) === 0x7d && HEAD.test(at === 0 ? text : text.slice(at))
  );
}

/** The event's own time (`YYYY-MM-DDTHH:MM:SS.mmm`, in the zone it names) from a text {@link isReportHead} accepted. */
export function reportHeadTime(text: string): string | null {
  const m = HEAD.exec(text);
  if (m === null) return null;
  const [y, mo, d] = m[1]!.split('-').map(Number) as [number, number, number];
  const [h, mi, sec] = m[2]!.split(':').map(Number) as [number, number, number];
  // A date that does not exist (a corrupt copy) is no time at all.
  if (!isCalendarDate(y, mo, d) || h > 23 || mi > 59 || sec > 60) return null;
  return `${m[1]}T${m[2]}.${m[3]}`;
}

/** Parses REPORT EVENT fields starting at `from` (after the prefix, or at the event GUID of a bare copy). */
export function parseReportFields(text: string, from: number): ReportEvent | null {
  if (text.indexOf('\t', from) >= 0) {
    // Field k runs from tabs[k - 1] + 1 to tabs[k]; the message (field 11) may itself contain TABs. Fields are read
    // in place; only the caller and the message are cut out.
    const tabs: number[] = [];
    for (let i = text.indexOf('\t', from); i >= 0 && tabs.length < 11; i = text.indexOf('\t', i + 1)) tabs.push(i);
    if (tabs.length < 10) return null;
    const start = (k: number) => skipBlanks(text, tabs[k - 1]! + 1);
    const end = (k: number) => tabs[k] ?? text.length;
    const v = start(9);
    const success = startsWithAt(text, 'Success', v);
    if (!success && !startsWithAt(text, 'Failure', v)) return null;
    let id = 0;
    let p = start(3);
    const idStart = p;
    for (let c = text.charCodeAt(p); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++p)) id = id * 10 + c - 0x30;
    return {
      eventId: p === idStart ? null : id,
      hresult: hrAt(text, start(7), end(7)),
      caller: text.slice(tabs[7]! + 1, end(8)).trim(),
      success,
      category: text.slice(tabs[9]! + 1, end(10)).trim(),
      message: tabs.length < 11 ? '' : text.slice(tabs[10]! + 1).trim(),
    };
  }
  const rest = text.slice(from);
  const m = SPACED.exec(rest);
  if (m === null) return null;
  return {
    eventId: Number(m[1]),
    hresult: hrField(m[2]),
    caller: m[3]!.trimEnd(),
    success: m[4] === 'Success',
    category: m[5]!,
    message: m[6]!,
  };
}

/** Verdict of a detection (`Software Synchronization`, events 147/148). */
export function isDetectionReport(ev: ReportEvent): boolean {
  return ev.category === 'Software Synchronization' || ev.eventId === 147 || ev.eventId === 148;
}

/** Verdict of an install (`Content Install`). */
export function isInstallReport(ev: ReportEvent): boolean {
  return ev.category === 'Content Install';
}
