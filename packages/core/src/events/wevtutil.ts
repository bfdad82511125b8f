/**
 * Reader for `wevtutil qe <channel> /f:xml [/e:Events]` output: an `<Events>` wrapper around `<Event>` elements,
 * a bare sequence of `<Event>` elements, or a single event. XML is parsed by fast-xml-parser, never by regexes.
 */
import type { XMLParser, XMLValidator } from 'fast-xml-parser';
import { makeError } from '../errors/errors.js';
import xmlLibrary from './xml-library.cjs';
import type { WinEvent } from './types.js';

// A private root lets a bare sequence of <Event> elements (several XML roots) parse as one document.
const ROOT = 'wuwatchEventsRoot';

let loaded: { parser: XMLParser; validator: typeof XMLValidator } | null = null;

/** The configured parser, built on first use (see xml-library.cts for why the library loads lazily). */
function xmlParser(): { parser: XMLParser; validator: typeof XMLValidator } {
  if (loaded !== null) return loaded;
  const fxp = xmlLibrary.loadFastXmlParser();
  const parser = new fxp.XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    // Keep every value a string: errorCode 0x8024402f, GUIDs and zero-padded numbers must not become numbers.
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    // Decodes numeric character references (&#x41;) besides the XML entities; wevtutil writes both.
    htmlEntities: true,
    isArray: (name) => name === 'Event' || name === 'Data',
  });
  loaded = { parser, validator: fxp.XMLValidator };
  return loaded;
}

type Node = Record<string, unknown>;

/** Parses wevtutil XML into events in document order; throws WUW_INVALID_EVENT_XML for malformed input. */
export function parseWevtutilXml(xml: string): WinEvent[] {
  const body = stripProlog(xml);
  if (body.trim() === '') return [];
  // The wrapper sits on lines of its own so the validator's line numbers stay those of the input.
  const wrapped = `<${ROOT}>\n${body}\n</${ROOT}>`;
  const { parser, validator } = xmlParser();
  const valid = validator.validate(wrapped);
  if (valid !== true) {
    const shift = (n: number): number => Math.max(1, n - 1 + prologLines(xml, body));
    const msg = valid.err.msg
      .replaceAll(`closing tag '${ROOT}'`, 'the end of the input')
      .replace(/line (\d+)/g, (_, n: string) => `line ${shift(Number(n))}`);
    const line = shift(valid.err.line);
    throw makeError('INVALID_EVENT_XML', [`${msg} (line ${line}, column ${valid.err.col})`]);
  }
  const root = asNode((parser.parse(wrapped) as Node)[ROOT]);
  const events: Node[] = [];
  for (const [name, child] of Object.entries(root)) {
    if (name === 'Event') events.push(...asNodes(child));
    else if (name === 'Events') for (const wrapper of asArray(child)) events.push(...asNodes(asNode(wrapper)['Event']));
    else if (name === '#text')
      throw makeError('INVALID_EVENT_XML', [`unexpected text "${String(child).slice(0, 80)}"`]);
    else throw makeError('INVALID_EVENT_XML', [`unexpected element <${name}> (expected <Events> or <Event>)`]);
  }
  return events.map((ev, i) => toWinEvent(ev, i));
}

function toWinEvent(ev: Node, index: number): WinEvent {
  const fail = (what: string): Error => makeError('INVALID_EVENT_XML', [`event #${index + 1} has ${what}`]);
  const system = asNode(ev['System']);
  const eventId = toInt(text(system['EventID']));
  if (eventId === null) throw fail('no numeric System/EventID');
  const recordId = toInt(text(system['EventRecordID']));
  if (recordId === null) throw fail('no numeric System/EventRecordID');
  const rawTime = attr(system['TimeCreated'], 'SystemTime');
  const time = rawTime === null ? null : toUtcIso(rawTime);
  if (time === null) throw fail(`no usable System/TimeCreated/@SystemTime (${rawTime ?? 'missing'})`);
  const provider = attr(system['Provider'], 'Name');
  if (provider === null) throw fail('no System/Provider/@Name');
  const channel = text(system['Channel']);
  if (channel === null) throw fail('no System/Channel');
  return {
    channel,
    provider,
    recordId,
    eventId,
    time,
    level: toInt(text(system['Level'])),
    computer: text(system['Computer']),
    data: eventData(ev['EventData']),
  };
}

function eventData(node: unknown): Record<string, string> {
  const data: Record<string, string> = {};
  asNodes(asNode(node)['Data']).forEach((item, i) => {
    const name = attr(item, 'Name') ?? String(i);
    // defineProperty keeps a Data element named "__proto__" an ordinary property.
    Object.defineProperty(data, name, {
      value: text(item) ?? '',
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return data;
}

/** Normalises SystemTime (7 or 9 fractional digits, or none) to `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
function toUtcIso(raw: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|[+-]00:?00)$/.exec(raw.trim());
  if (m) {
    const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
    const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
    return Number.isNaN(t) ? null : new Date(t).toISOString();
  }
  const t = Date.parse(raw);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function stripProlog(xml: string): string {
  let s = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  const start = s.trimStart();
  if (start.startsWith('<?xml')) {
    const end = start.indexOf('?>');
    s = end === -1 ? start : start.slice(end + 2);
  }
  return s;
}

// Lines the stripped prolog took, so error positions point into the original text.
function prologLines(xml: string, body: string): number {
  const removed = xml.slice(0, xml.length - body.length);
  return removed.split('\n').length - 1;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function asNodes(value: unknown): Node[] {
  return asArray(value).map(asNode);
}

// Text-only elements parse as strings; elements with attributes or children parse as objects.
function asNode(value: unknown): Node {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Node;
  if (typeof value === 'string') return { '#text': value };
  return {};
}

// Null when the element is missing; an empty or attribute-only element has the empty string as text.
function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  const t = asNode(value)['#text'];
  return typeof t === 'string' ? t : '';
}

function attr(value: unknown, name: string): string | null {
  const a = asNode(value)['@_' + name];
  return typeof a === 'string' ? a : null;
}

function toInt(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : null;
}
