// The WSUS server rules: counting pointers, the server's state, and the orphan pointer of the field report.
import test from 'ava';
import { countWsusPointers, isOrphanPointer, wsusServerState, type WsusPointer } from '@wuwatch/core';

const at = new Date('2026-03-01T10:00:00Z');
const later = new Date('2026-03-01T11:00:00Z');
const ptr = (url: string, hostname: string, probe: WsusPointer['probe'], probeAt: Date | null = at): WsusPointer => ({
  url,
  hostname,
  probe,
  probeAt,
});
const refused = { ok: false, class: 'refused' as const, httpStatus: null };
const http = (s: number) => ({
  ok: s < 400,
  class: s < 400 ? ('ok' as const) : ('http_status' as const),
  httpStatus: s,
});

test('pointers are counted per URL by what each probe says, with the newest probe and the first hostname', (t) => {
  const counts = countWsusPointers([
    ptr('http://a', 'web2', http(200)),
    ptr('http://a', 'web1', http(500), later),
    ptr('http://a', 'web3', http(503)),
    ptr('http://a', 'web0', null, null),
    ptr('http://b', 'sql7', refused),
  ]);
  t.deepEqual(counts.get('http://a'), {
    url: 'http://a',
    machines: 4,
    reachable: 1,
    unreachable: 1,
    failing: 1,
    lastProbeAt: later,
    sampleHostname: 'web0',
  });
  t.like(counts.get('http://b'), { machines: 1, unreachable: 1, sampleHostname: 'sql7' });
  t.deepEqual([...counts.keys()], ['http://a', 'http://b']);
});

test('state: unprobed, unreachable, ok, error, partial', (t) => {
  const s = (reachable: number, unreachable: number, failing: number) =>
    wsusServerState({ reachable, unreachable, failing });
  t.is(s(0, 0, 0), 'unprobed');
  t.is(s(0, 3, 0), 'unreachable');
  t.is(s(3, 0, 0), 'ok');
  t.is(s(0, 0, 2), 'error');
  t.is(s(2, 1, 0), 'partial');
  t.is(s(2, 0, 1), 'partial');
  t.is(s(0, 1, 1), 'partial', 'some get an answer, others nothing: the network path differs');
});

test('an orphan pointer is one machine that cannot reach its server; a server answering HTTP 500 is no orphan', (t) => {
  const one = (probe: WsusPointer['probe']) => countWsusPointers([ptr('http://x', 'h', probe)]).get('http://x')!;
  t.true(isOrphanPointer(one(refused)));
  t.true(isOrphanPointer(one(http(503))), '503 from a gateway: nothing usable answered');
  t.false(isOrphanPointer(one(http(500))), 'the server exists');
  t.false(isOrphanPointer(one(http(200))));
  t.false(isOrphanPointer(one(null)), 'never probed: not known to be dead');
  t.false(isOrphanPointer({ machines: 2, unreachable: 2 }), 'two machines: a dead server, not a leftover pointer');
});
