// probeReach: the one definition of "unreachable" for a WSUS probe, built on the catalogue's HTTP classification.
import test from 'ava';
import { classifyHttpStatus, probeReach, isUnreachableProbe, type ProbeFacts } from '@wuwatch/core';

const p = (cls: ProbeFacts['class'], httpStatus: number | null = null, ok = false): ProbeFacts => ({
  ok,
  class: cls,
  httpStatus,
});

test('no HTTP answer at all is unreachable', (t) => {
  for (const cls of ['dns', 'refused', 'timeout', 'tls', 'proxy_auth'] as const) {
    t.is(probeReach(p(cls)), 'unreachable', cls);
    t.true(isUnreachableProbe(p(cls)));
  }
});

test('HTTP statuses follow the catalogue: gateway/proxy statuses unreachable, other errors server_error', (t) => {
  for (const status of [407, 408, 502, 503, 504])
    t.is(probeReach(p('http_status', status)), 'unreachable', `${status}`);
  for (const status of [400, 401, 403, 404, 500, 501, 505]) {
    t.is(probeReach(p('http_status', status)), 'server_error', `${status}`);
    t.false(isUnreachableProbe(p('http_status', status)));
  }
  for (let status = 100; status < 600; status++) {
    const reach = probeReach(p('http_status', status));
    t.is(reach === 'unreachable', classifyHttpStatus(status) === 'unreachable', `${status} agrees with the catalogue`);
  }
});

test('ok, an invalid URL, and results the agent could not class', (t) => {
  t.is(probeReach(p('ok', 200, true)), 'ok');
  t.is(probeReach(p('invalid_url')), 'invalid_url');
  t.is(probeReach(p('http_status', null)), 'server_error', 'an HTTP failure without a status still answered');
  t.is(probeReach(p('ok', 200, false)), 'server_error', 'not ok yet classed ok: something answered');
});
