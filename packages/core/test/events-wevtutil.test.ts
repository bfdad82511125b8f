import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseWevtutilXml } from '@wuwatch/core';
import { isWuwatchError } from '../src/errors/errors.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/events/${name}`, import.meta.url), 'utf8');
const OP = 'Microsoft-Windows-WindowsUpdateClient/Operational';
const NS = "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'";

function event(data: string, system = ''): string {
  return (
    `<Event ${NS}><System><Provider Name='Microsoft-Windows-WindowsUpdateClient'/><EventID>25</EventID><Level>2</Level>` +
    `<TimeCreated SystemTime='2024-03-05T09:14:04.5010000Z'/><EventRecordID>7</EventRecordID>` +
    `<Channel>${OP}</Channel><Computer>srv01</Computer>${system}</System><EventData>${data}</EventData></Event>`
  );
}

test('reads the /e:Events wrapper in document order with every System field', (t) => {
  const events = parseWevtutilXml(fixture('operational-wsus-down.xml'));
  t.deepEqual(
    events.map((e) => [e.recordId, e.eventId]),
    [
      [4101, 26],
      [4102, 41],
      [4103, 31],
      [4104, 25],
      [4105, 25],
      [4106, 25],
    ],
  );
  t.deepEqual(events[3], {
    channel: OP,
    provider: 'Microsoft-Windows-WindowsUpdateClient',
    recordId: 4104,
    eventId: 25,
    time: '2024-03-05T09:14:04.501Z',
    level: 2,
    computer: 'srv01.corp.example',
    data: { errorCode: '0x80244022', serviceGuid: '{3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}' },
  });
});

test('data values stay strings exactly as written', (t) => {
  const events = parseWevtutilXml(fixture('operational-wsus-down.xml'));
  t.is(events[0]!.data['updateCount'], '2');
  t.is(events[2]!.data['errorCode'], '0x801901f7');
  t.is(events[5]!.data['errorCode'], '0x8024402c');
  t.is(events[2]!.data['updateRevisionNumber'], '1');
});

test('times become UTC ISO strings with milliseconds and Z', (t) => {
  const times = parseWevtutilXml(fixture('operational-wsus-down.xml')).map((e) => e.time);
  t.deepEqual(times, [
    '2024-03-04T09:10:11.123Z',
    '2024-03-04T09:40:02.000Z',
    '2024-03-04T11:02:33.455Z',
    '2024-03-05T09:14:04.501Z',
    '2024-03-06T07:40:12.000Z',
    '2024-03-07T05:31:59.999Z',
  ]);
});

test('reads a bare sequence of events from the System channel, Qualifiers included', (t) => {
  const events = parseWevtutilXml(fixture('system-installs.xml'));
  t.deepEqual(
    events.map((e) => [e.channel, e.provider, e.eventId, e.recordId]),
    [
      ['System', 'Microsoft-Windows-WindowsUpdateClient', 19, 88231],
      ['System', 'Microsoft-Windows-WindowsUpdateClient', 20, 88240],
      ['System', 'Service Control Manager', 7040, 88241],
    ],
  );
  t.is(
    events[1]!.data['updateTitle'],
    '2024-02 Cumulative Update for Windows Server 2019 (1809) for x64-based Systems (KB5034768)',
  );
  t.is(events[2]!.data['param4'], 'BITS');
});

test('reads one indented event with an XML declaration, a comment and nine fractional digits', (t) => {
  const events = parseWevtutilXml(fixture('single-event-25-pretty.xml'));
  t.is(events.length, 1);
  t.is(events[0]!.time, '2014-06-02T08:01:17.229Z');
  t.is(events[0]!.recordId, 1234);
  t.deepEqual(events[0]!.data, { errorCode: '0x80244022' });
});

test('CRLF and LF give the same events', (t) => {
  const crlf = fixture('operational-wsus-down.xml');
  t.true(crlf.includes('\r\n'));
  t.deepEqual(parseWevtutilXml(crlf.replace(/\r\n/g, '\n')), parseWevtutilXml(crlf));
});

test('entities and character references are decoded', (t) => {
  const [ev] = parseWevtutilXml(
    event(`<Data Name='updateTitle'>Tools &amp; Drivers &lt;x64&gt; &apos;q&apos; &quot;r&quot; &#x41;&#66;</Data>`),
  );
  t.is(ev!.data['updateTitle'], `Tools & Drivers <x64> 'q' "r" AB`);
});

test('unnamed Data elements are keyed by position; empty ones are empty strings', (t) => {
  const [ev] = parseWevtutilXml(event(`<Data>first</Data><Data Name='named'/><Data>00123</Data>`));
  t.deepEqual(ev!.data, { '0': 'first', named: '', '2': '00123' });
});

test('an event without EventData has no data; optional System fields may be missing', (t) => {
  const xml =
    `<Event ${NS}><System><Provider Name='P'/><EventID>30</EventID>` +
    `<TimeCreated SystemTime='2024-03-05T09:14:04Z'/><EventRecordID>1</EventRecordID><Channel>C</Channel></System></Event>`;
  t.deepEqual(parseWevtutilXml(xml), [
    {
      channel: 'C',
      provider: 'P',
      recordId: 1,
      eventId: 30,
      time: '2024-03-05T09:14:04.000Z',
      level: null,
      computer: null,
      data: {},
    },
  ]);
});

test('a UTF-8 BOM and an empty result are accepted', (t) => {
  t.deepEqual(parseWevtutilXml(''), []);
  t.deepEqual(parseWevtutilXml('  \r\n'), []);
  t.deepEqual(parseWevtutilXml('<Events>\r\n</Events>\r\n'), []);
  t.deepEqual(parseWevtutilXml('<Events/>'), []);
  t.is(parseWevtutilXml('\uFEFF' + fixture('single-event-25-pretty.xml')).length, 1);
});

test('events survive JSON unchanged', (t) => {
  const events = parseWevtutilXml(fixture('system-installs.xml'));
  t.deepEqual(JSON.parse(JSON.stringify(events)), events);
});

const malformed: [string, string, RegExp][] = [
  ['an unclosed element', `<Events>${event('')}<Event>`, /Expected closing tag 'Event'/],
  ['mismatched tags', '<Events><Event></Events>', /closing tag/],
  ['a wevtutil error message', 'Failed to read events. The specified channel could not be found.', /unexpected text/],
  ['an unrelated document', '<Log><Entry/></Log>', /unexpected element <Log>/],
  ['an event without a record id', event('').replace('<EventRecordID>7</EventRecordID>', ''), /EventRecordID/],
  ['an event without an EventID', event('').replace('<EventID>25</EventID>', ''), /EventID/],
  ['a non-numeric EventID', event('').replace('<EventID>25</EventID>', '<EventID>x</EventID>'), /EventID/],
  ['an unreadable time', event('').replace('2024-03-05T09:14:04.5010000Z', 'yesterday'), /SystemTime \(yesterday\)/],
  [
    'an event without a provider',
    event('').replace("<Provider Name='Microsoft-Windows-WindowsUpdateClient'/>", ''),
    /Provider/,
  ],
  ['an event without a channel', event('').replace(`<Channel>${OP}</Channel>`, ''), /Channel/],
];
for (const [name, xml, detail] of malformed) {
  test(`${name} is a WUW_INVALID_EVENT_XML error`, (t) => {
    const err = t.throws(() => parseWevtutilXml(xml));
    t.true(isWuwatchError(err, 'INVALID_EVENT_XML'), String(err));
    t.regex(err.message, detail);
    t.false(err.message.includes('wuwatchEventsRoot'), 'the private wrapper does not leak');
    t.regex(err.message, /wevtutil qe/);
  });
}

test('error positions point into the input', (t) => {
  const err = t.throws(() => parseWevtutilXml('<?xml version="1.0"?>\n<Events>\n<Event>\n</Events>'));
  t.regex(err.message, /opened in line 3/);
});
