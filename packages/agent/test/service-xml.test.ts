import test from 'ava';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildServiceXml, escapeXml, serviceArguments } from '../src/service/index.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });
type Node = Record<string, unknown>;

const BASE = {
  nodeExe: 'C:\\Program Files\\nodejs\\node.exe',
  agentMain: 'C:\\Program Files\\wuwatch\\agent\\dist\\main.js',
  configPath: 'C:\\ProgramData\\wuwatch\\agent.json',
  workingDirectory: 'C:\\Program Files\\wuwatch',
  logPath: 'C:\\ProgramData\\wuwatch\\logs',
};

function parse(xml: string): Node {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(valid.err.msg);
  return (parser.parse(xml) as { service: Node }).service;
}

test('the WinSW definition parses back with every setting the service needs', (t) => {
  const xml = buildServiceXml(BASE);
  t.true(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\r\n'));
  const s = parse(xml);
  t.is(s['id'], 'wuwatch-agent');
  t.is(s['name'], 'wuwatch agent');
  t.regex(String(s['description']), /Windows Update/);
  t.is(s['executable'], 'C:\\Program Files\\nodejs\\node.exe');
  t.is(
    s['arguments'],
    '"C:\\Program Files\\wuwatch\\agent\\dist\\main.js" run --config C:\\ProgramData\\wuwatch\\agent.json',
  );
  t.is(s['workingdirectory'], 'C:\\Program Files\\wuwatch');
  t.is(s['startmode'], 'Automatic');
  t.is(s['delayedAutoStart'], 'true');
  t.deepEqual(s['onfailure'], [
    { '@_action': 'restart', '@_delay': '10 sec' },
    { '@_action': 'restart', '@_delay': '10 sec' },
    { '@_action': 'restart', '@_delay': '10 sec' },
  ]);
  t.is(s['resetfailure'], '1 hour');
  t.is(s['stoptimeout'], '30 sec');
  t.is(s['stopparentprocessfirst'], 'true');
  t.is(s['logpath'], 'C:\\ProgramData\\wuwatch\\logs');
  t.deepEqual(s['log'], { '@_mode': 'roll-by-size', sizeThreshold: '10240', keepFiles: '8' });
  t.deepEqual(s['serviceaccount'], { user: 'LocalSystem' });
});

test('text is escaped so any value survives a round trip', (t) => {
  const xml = buildServiceXml({
    ...BASE,
    description: `Watches <Windows> Update & reports "now" to 'the' collector`,
    nodeExe: 'C:\\R&D <tools>\\node.exe',
  });
  const s = parse(xml);
  t.is(s['description'], `Watches <Windows> Update & reports "now" to 'the' collector`);
  t.is(s['executable'], 'C:\\R&D <tools>\\node.exe');
  t.is(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
});

test('arguments are quoted for CreateProcess, node options first', (t) => {
  t.is(
    serviceArguments({ ...BASE, nodeArgs: ['--use-system-ca'], configPath: 'D:\\state dir\\agent.json' }),
    '--use-system-ca "C:\\Program Files\\wuwatch\\agent\\dist\\main.js" run --config "D:\\state dir\\agent.json"',
  );
});

test('service accounts map to WinSW serviceaccount elements', (t) => {
  const account = (a: Parameters<typeof buildServiceXml>[0]['account']): unknown =>
    parse(buildServiceXml({ ...BASE, account: a }))['serviceaccount'];
  t.deepEqual(account({ kind: 'NetworkService' }), { domain: 'NT AUTHORITY', user: 'NetworkService' });
  t.deepEqual(account({ kind: 'LocalService' }), { domain: 'NT AUTHORITY', user: 'LocalService' });
  t.deepEqual(account({ kind: 'user', domain: 'CORP', user: 'svc-wuwatch$', allowServiceLogon: true }), {
    domain: 'CORP',
    user: 'svc-wuwatch$',
    allowservicelogon: 'true',
  });
  t.deepEqual(account({ kind: 'user', user: 'svc', password: 'p<&>"' }), { user: 'svc', password: 'p<&>"' });
});

test('optional elements are left out when not given', (t) => {
  const s = parse(buildServiceXml({ nodeExe: 'node.exe', agentMain: 'main.js', configPath: 'agent.json' }));
  t.false('workingdirectory' in s);
  t.false('logpath' in s);
  t.is(s['arguments'], 'main.js run --config agent.json');
});
