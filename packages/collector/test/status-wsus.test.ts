// The WSUS servers view (pure): state per URL, and the orphan pointer of the field report.
import test from 'ava';
import { aggregateWsus, buildWsusView, type WsusAggregate } from '../src/status/wsus.js';

const agg = (patch: Partial<WsusAggregate>): WsusAggregate => ({
  url: 'http://wsus01.corp.example:8530',
  machines: 10,
  reachable: 10,
  unreachable: 0,
  failing: 0,
  lastAnswerAt: new Date('2026-03-01T11:00:00Z'),
  lastProbeAt: new Date('2026-03-01T11:30:00Z'),
  sampleHostname: 'app01',
  ...patch,
});

test('one machine pointing at a URL nobody can reach is an orphan pointer, named with its hostname', (t) => {
  const [v] = buildWsusView([
    agg({
      url: 'http://oldlaptop:8530',
      machines: 1,
      reachable: 0,
      unreachable: 1,
      lastAnswerAt: null,
      sampleHostname: 'sql07',
    }),
  ]);
  t.like(v, {
    url: 'http://oldlaptop:8530',
    machines: 1,
    reachable: 0,
    unreachable: 1,
    state: 'unreachable',
    orphan: true,
    lastAnswerAt: null,
  });
  t.regex(v!.note, /Only sql07 points at http:\/\/oldlaptop:8530/);
  t.regex(v!.note, /Specify intranet Microsoft update service location/);
});

test('not an orphan: several machines, or one machine that can reach it, or one never probed', (t) => {
  const views = buildWsusView([
    agg({ url: 'http://dead:8530', machines: 3, reachable: 0, unreachable: 3 }),
    agg({ url: 'http://single-ok:8530', machines: 1, reachable: 1, unreachable: 0 }),
    agg({ url: 'http://single-unprobed:8530', machines: 1, reachable: 0, unreachable: 0, lastProbeAt: null }),
  ]);
  t.deepEqual(
    views.map((v) => [v.url, v.state, v.orphan]),
    [
      ['http://dead:8530', 'unreachable', false],
      ['http://single-ok:8530', 'ok', false],
      ['http://single-unprobed:8530', 'unprobed', false],
    ],
  );
  t.regex(views[0]!.note, /None of the 3 machines/);
  t.is(views[2]!.note, 'No probe result yet.');
});

test('partial reachability points at the network path and counts who cannot reach it', (t) => {
  const [v] = buildWsusView([agg({ machines: 10, reachable: 7, unreachable: 3 })]);
  t.is(v!.state, 'partial');
  t.false(v!.orphan);
  t.regex(v!.note, /3 of 10 machines cannot reach/);
});

test('times are ISO strings and every input row yields one view row in order', (t) => {
  const views = buildWsusView([
    agg({ url: 'http://a' }),
    agg({ url: 'http://b', lastAnswerAt: null, lastProbeAt: null }),
  ]);
  t.deepEqual(
    views.map((v) => [v.url, v.lastAnswerAt, v.lastProbeAt]),
    [
      ['http://a', '2026-03-01T11:00:00.000Z', '2026-03-01T11:30:00.000Z'],
      ['http://b', null, null],
    ],
  );
  t.is(views[0]!.state, 'ok');
  t.is(views[0]!.note, 'Reachable.');
});

test('a server that answers HTTP 500 is up but broken: state error, never an orphan pointer', (t) => {
  const [single, several] = buildWsusView([
    agg({ url: 'http://broken1:8530', machines: 1, reachable: 0, failing: 1, sampleHostname: 'sql07' }),
    agg({ url: 'http://broken2:8530', machines: 4, reachable: 0, failing: 4 }),
  ]);
  t.like(single, { state: 'error', orphan: false, failing: 1, unreachable: 0 });
  t.regex(single!.note, /answers, but wrongly \(HTTP error\), to the one machine/);
  t.like(several, { state: 'error', orphan: false });
  t.regex(several!.note, /all 4 machines/);
});

test('aggregateWsus counts each pointer by what its probe says, in URL order, with the last answer', (t) => {
  const probe = (ok: boolean, cls: 'ok' | 'http_status' | 'refused', httpStatus: number | null) => ({
    ok,
    class: cls,
    httpStatus,
  });
  const at = new Date('2026-03-01T11:30:00Z');
  const rows = aggregateWsus(
    [
      { url: 'http://b:8530', hostname: 'web2', probe: probe(false, 'http_status', 500), probeAt: at },
      { url: 'http://b:8530', hostname: 'web1', probe: probe(false, 'http_status', 503), probeAt: null },
      { url: 'http://b:8530', hostname: 'web3', probe: probe(true, 'ok', 200), probeAt: null },
      { url: 'http://a:8530', hostname: 'app1', probe: probe(false, 'refused', null), probeAt: null },
      { url: 'http://a:8530', hostname: 'app0', probe: null, probeAt: null },
    ],
    new Map([['http://b:8530', at]]),
  );
  t.deepEqual(rows, [
    {
      url: 'http://a:8530',
      machines: 2,
      reachable: 0,
      unreachable: 1,
      failing: 0,
      lastProbeAt: null,
      sampleHostname: 'app0',
      lastAnswerAt: null,
    },
    {
      url: 'http://b:8530',
      machines: 3,
      reachable: 1,
      unreachable: 1,
      failing: 1,
      lastProbeAt: at,
      sampleHostname: 'web1',
      lastAnswerAt: at,
    },
  ]);
  t.deepEqual(
    buildWsusView(rows).map((v) => [v.state, v.orphan]),
    [
      ['unreachable', false],
      ['partial', false],
    ],
  );
});
