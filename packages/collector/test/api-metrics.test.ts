// /metrics with prom-client against a real collector and database: process and runtime defaults, build info,
// HTTP requests by route pattern, notifications by channel and result, alerts firing by rule, the outbox; and
// the whole exposition accepted by `promtool check metrics`.
import test from 'ava';
import { WUWATCH_METRIC_NAMES } from '../src/api/metrics.js';
import { freePort, startWebhookSink, type WebhookSink } from './helpers/alerts.js';
import { api, startTestCollector, type TestCollector } from './helpers/collector.js';
import { promtool } from './helpers/promtool.js';

let tc: TestCollector;
let sink: WebhookSink;
test.before(async () => {
  sink = await startWebhookSink();
  tc = await startTestCollector({
    alerts: {
      schedule: '0 0 1 1 *',
      channels: [
        { type: 'webhook', name: 'ops', url: sink.url },
        { type: 'webhook', name: 'dead', url: `http://127.0.0.1:${await freePort()}/hook`, timeoutMs: 2000 },
      ],
    },
  });
});
test.after.always(async () => {
  await tc?.close();
  await sink?.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(tc.url + '/metrics');
  return res.text();
}

test.serial(
  'defaults, build info, HTTP by route pattern, notifications, alerts and outbox; promtool accepts it',
  async (t) => {
    t.is((await api(tc, 'POST', '/v1/notify-test', { channel: 'ops' })).status, 200);
    t.is((await api(tc, 'POST', '/v1/notify-test', { channel: 'dead' })).status, 502);
    t.is((await api(tc, 'GET', '/v1/machines/m-secret-id-1')).status, 404);
    t.is((await api(tc, 'GET', '/v1/machines/m-secret-id-2')).status, 404);
    t.is((await fetch(tc.url + '/no/such/page?x=1')).status, 404);

    // One firing and one clearing alert, and an outbox row waiting since a minute ago.
    const alert = (id: string, rule: string, state: string) =>
      tc.collector.db.query(
        `INSERT INTO alerts (id, rule, subject, state, severity, title, summary, evidence, fix, firing_since, last_seen)
       VALUES ($1, $2, $3, $4, 'critical', 't', 's', '{}', 'f', now(), now())`,
        [id, rule, `machine:${id}`, state],
      );
    await alert('a1', 'detect_failures', 'firing');
    await alert('a2', 'detect_failures', 'firing');
    await alert('a3', 'agent_silent', 'clearing');
    await tc.collector.db.query(
      `INSERT INTO alert_notifications (id, channel, alert_id, kind, payload, state, created_at, next_attempt_at)
     VALUES ('n1', 'nowhere', 'a1', 'firing', '{}', 'pending', now() - interval '60 seconds', now() + interval '1 hour')`,
    );

    const text = await scrape();
    t.regex(text, /^process_cpu_user_seconds_total \d/m);
    t.regex(text, /^process_resident_memory_bytes \d/m);
    t.regex(text, /^nodejs_eventloop_lag_seconds /m);
    t.regex(text, /^nodejs_heap_size_used_bytes \d/m);
    t.regex(text, /^wuwatch_build_info\{version="0\.1\.0",nodejs="\d+\.\d+\.\d+"\} 1$/m);
    t.regex(
      text,
      /^wuwatch_http_request_duration_seconds_count\{method="GET",route="\/v1\/machines\/:id",status_code="404"\} 2$/m,
    );
    t.regex(text, /route="unmatched",status_code="404"/);
    t.notRegex(text, /m-secret-id|no\/such\/page/, 'raw URLs never become label values');
    t.regex(text, /^wuwatch_notifications_total\{channel="ops",type="webhook",result="delivered"\} 1$/m);
    t.regex(text, /^wuwatch_notifications_total\{channel="dead",type="webhook",result="failed"\} 1$/m);
    t.regex(text, /^wuwatch_notification_duration_seconds_count\{channel="ops",type="webhook"\} 1$/m);
    t.regex(text, /^wuwatch_alerts_firing\{rule="detect_failures"\} 2$/m);
    t.notRegex(text, /^wuwatch_alerts_firing\{rule="agent_silent"\}/m, 'clearing is not firing');
    t.regex(text, /^wuwatch_outbox_notifications\{state="pending"\} 1$/m);
    const oldest = Number(/^wuwatch_outbox_oldest_pending_seconds (\S+)$/m.exec(text)?.[1]);
    t.true(oldest >= 59 && oldest < 600, `oldest pending ${oldest}s`);
    for (const name of WUWATCH_METRIC_NAMES) t.regex(text, new RegExp(`^# TYPE ${name} `, 'm'), name);

    const check = await promtool(['check', 'metrics'], text);
    t.is(check.code, 0, check.stdout + check.stderr);
  },
);

test.serial(
  'content type is the Prometheus text format and the scrape itself is counted under its route',
  async (t) => {
    const res = await fetch(tc.url + '/metrics');
    t.is(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    await res.text();
    t.regex(await scrape(), /route="\/metrics",status_code="200"/);
  },
);
