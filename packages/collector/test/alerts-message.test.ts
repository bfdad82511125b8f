import test from 'ava';
import {
  alertFields,
  renderMessage,
  testNotification,
  toWebhookPayload,
  WebhookPayload,
} from '../src/alerts/message.js';
import { slackBody } from '../src/alerts/channels/slack.js';
import { evaluateAlertRules } from '../src/alerts/rules.js';
import { makeNotification, reconcileAlerts } from '../src/alerts/state.js';
import type { Alert, AlertMachineSnapshot, NotificationKind } from '../src/alerts/types.js';

const NOW = new Date('2024-05-10T12:00:00.000Z');
const HOUR = 3_600_000;
const URL_ = 'http://wsus01.corp.example:8530';

function snapshot(over: Partial<AlertMachineSnapshot> = {}): AlertMachineSnapshot {
  return {
    machineId: 'a1b2c3',
    hostname: 'SRV-FILE-02',
    status: 'wsus_unreachable',
    statusReasons: [],
    wsusUrl: URL_,
    consecutiveDetectionFailures: 3,
    lastDetectionHresult: '0x80244022',
    firstFailureAt: new Date(NOW.getTime() - 66 * HOUR),
    lastDetectionAt: new Date(NOW.getTime() - HOUR),
    lastSuccessDetectionAt: new Date(NOW.getTime() - 70 * HOUR),
    firstSeen: new Date(NOW.getTime() - 900 * HOUR),
    lastSeen: NOW,
    lastGoodbyeAt: null,
    probeFailingSince: null,
    lastProbe: null,
    ...over,
  };
}

/** The alert the pipeline stores for these machines (first alert of the given rule). */
function alertFor(machines: AlertMachineSnapshot[], rule: Alert['rule']): Alert {
  const conditions = evaluateAlertRules({ machines, now: NOW });
  const found = reconcileAlerts({ alerts: [], conditions, now: NOW }).alerts.find((a) => a.rule === rule);
  if (!found) throw new Error(`no ${rule} alert`);
  return found;
}

test('0x80244022 machine alert: names the machine, code, meaning, 503, URL and the fix', (t) => {
  const a = alertFor([snapshot()], 'detect_failures');
  const msg = renderMessage(makeNotification(a, 'firing', NOW), 'UTC');
  t.is(msg.title, '[FIRING] Windows Update detection failing on SRV-FILE-02');
  for (const needle of [
    'SRV-FILE-02',
    '0x80244022',
    'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL',
    'Same as HTTP status 503',
    '503 Service Unavailable',
    URL_,
    'Failures in a row: 3',
    // Times as people read them (issue 17): 66 h before NOW, in the zone asked for.
    'Since: 2024-05-07 18:00 UTC, 2 d ago',
    'Fix:',
    'WsusPool',
    '"Not Configured"',
  ]) {
    t.true(msg.text.includes(needle), `text mentions ${needle}`);
  }
  const byLabel = new Map(msg.fields.map((f) => [f.label, f.value]));
  t.is(byLabel.get('Machine'), 'SRV-FILE-02 (a1b2c3)');
  t.is(byLabel.get('Error'), '0x80244022 (WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL)');
  t.is(byLabel.get('HTTP status'), '503 Service Unavailable');
  t.is(byLabel.get('URL'), URL_);
  t.regex(byLabel.get('Rule') ?? '', /detect_failures/);
  t.regex(byLabel.get('Fix') ?? '', /WsusPool/);
});

test('evidence without the catalogue name is explained from the catalogue', (t) => {
  const a = alertFor([snapshot()], 'detect_failures');
  const bare: Alert = { ...a, evidence: { hresult: '0x8024402C' } };
  const fields = alertFields(bare);
  t.deepEqual(
    fields.find((f) => f.label === 'Error'),
    {
      label: 'Error',
      value: '0x8024402C (WU_E_PT_WINHTTP_NAME_NOT_RESOLVED)',
    },
  );
  t.truthy(fields.find((f) => f.label === 'Meaning'));
});

const kinds: [NotificationKind, RegExp][] = [
  ['firing', /^\[FIRING\] /],
  ['repeat', /^\[STILL FIRING\] /],
  ['grown', /^\[MORE MACHINES\] /],
  ['resolved', /^\[RESOLVED\] /],
  ['test', /^\[TEST\] /],
];
for (const [kind, prefix] of kinds) {
  test(`title prefix for ${kind}`, (t) => {
    const a = alertFor([snapshot()], 'detect_failures');
    t.regex(renderMessage(makeNotification(a, kind, NOW)).title, prefix);
  });
}

test('a grown message says how many machines are affected now, and keeps the fix', (t) => {
  const a: Alert = {
    ...alertFor([snapshot()], 'detect_failures'),
    machines: [
      { machineId: 'm1', hostname: 'A' },
      { machineId: 'm2', hostname: 'B' },
      { machineId: 'm3', hostname: 'C' },
    ],
  };
  const msg = renderMessage(makeNotification(a, 'grown', NOW));
  t.regex(msg.text, /it now affects 3 machines\./);
  t.true(msg.text.includes('Fix:'));
});

test('resolved message says so and carries no fix', (t) => {
  const a: Alert = { ...alertFor([snapshot()], 'detect_failures'), state: 'resolved', resolvedAt: NOW };
  const msg = renderMessage(makeNotification(a, 'resolved', NOW), 'UTC');
  t.regex(msg.text, /^Resolved at 12:00 UTC, now: the condition has cleared\./);
  t.regex(msg.text, /No action needed\./);
  t.false(msg.text.includes('Fix:'));
  t.false(msg.fields.some((f) => f.label === 'Fix'));
  t.true(msg.text.includes('SRV-FILE-02'));
});

test('WSUS alert names the server and lists its machines', (t) => {
  const machines = ['SRV-A', 'SRV-B', 'SRV-C'].map((h, i) =>
    snapshot({
      machineId: `m${i}`,
      hostname: h,
      consecutiveDetectionFailures: 0,
      probeFailingSince: new Date(NOW.getTime() - HOUR),
      lastProbe: {
        url: URL_,
        class: 'http_status',
        ok: false,
        httpStatus: 503,
        failedStep: 'http',
        hresult: null,
        message: null,
        steps: [],
      },
    }),
  );
  const a = alertFor(machines, 'wsus_unreachable');
  const msg = renderMessage(makeNotification(a, 'firing', NOW));
  t.is(msg.title, `[FIRING] WSUS server ${URL_} unreachable from 3 machines`);
  const byLabel = new Map(msg.fields.map((f) => [f.label, f.value]));
  t.is(byLabel.get('WSUS server'), URL_);
  t.is(byLabel.get('Machines (3 of 3)'), 'SRV-A, SRV-B, SRV-C');
  t.is(byLabel.get('HTTP status'), '503 Service Unavailable');
  t.regex(msg.text, /WsusPool/, 'the 503 hint reaches the fix');
});

test('webhook payload validates against WebhookPayload v1 and survives JSON', (t) => {
  const a = alertFor([snapshot()], 'detect_failures');
  const n = makeNotification(a, 'firing', NOW);
  const sentAt = new Date(NOW.getTime() + 1234);
  const payload = toWebhookPayload(n, sentAt);
  const parsed = WebhookPayload.parse(JSON.parse(JSON.stringify(payload)));
  t.is(parsed.version, 1);
  t.is(parsed.id, n.id);
  t.is(parsed.kind, 'firing');
  t.is(parsed.sentAt, sentAt.toISOString());
  t.is(parsed.alert.id, a.id);
  t.is(parsed.alert.rule, 'detect_failures');
  t.is(parsed.alert.subject, 'machine:a1b2c3');
  t.is(parsed.alert.state, 'firing');
  t.is(parsed.alert.firstSeen, NOW.toISOString());
  t.is(parsed.alert.evidence.hresultName, 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL');
  t.is(parsed.alert.evidence.httpStatus, 503);
  t.is(parsed.alert.evidence.url, URL_);
  t.deepEqual(parsed.alert.machines, [{ machineId: 'a1b2c3', hostname: 'SRV-FILE-02' }]);
  t.regex(parsed.alert.fix, /WsusPool/);
  // The notification id is fixed when the notification is made, so every retry carries the same one.
  t.is(toWebhookPayload(n, new Date(NOW.getTime() + 99_000)).id, payload.id);
});

test('WebhookPayload refuses other versions and unknown kinds; test notifications validate', (t) => {
  const payload = toWebhookPayload(testNotification(NOW), NOW);
  t.true(WebhookPayload.safeParse(payload).success);
  t.is(payload.kind, 'test');
  t.false(WebhookPayload.safeParse({ ...payload, version: 2 }).success);
  t.false(WebhookPayload.safeParse({ ...payload, kind: 'maybe' }).success);
  t.false(WebhookPayload.safeParse({ ...payload, sentAt: 'yesterday' }).success);
  t.regex(renderMessage(testNotification(NOW)).text, /test notification/);
});

test('times for people (issue 17): messages and webhook text fields say "since 11:00 CEST, 3 h ago"; JSON keeps ISO', (t) => {
  const since = new Date(NOW.getTime() - 3 * HOUR);
  const a = alertFor([snapshot({ firstFailureAt: since, lastDetectionAt: since })], 'detect_failures');
  const n = makeNotification(a, 'repeat', NOW);
  const msg = renderMessage(n, 'Europe/Berlin');
  const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
  t.notRegex(msg.title + msg.summary + msg.text, ISO, 'no ISO time left in text for people');
  t.regex(msg.summary, /failed 3 times in a row on SRV-FILE-02 since 11:00 CEST, 3 h ago with 0x80244022/);
  t.regex(msg.text, /^Still firing since 14:00 CEST, now\./);
  t.is(new Map(msg.fields.map((f) => [f.label, f.value])).get('Since'), '11:00 CEST, 3 h ago');
  // The webhook: title and summary are text for people, at the notification's creation (the same on every retry);
  // the evidence, firstSeen and lastSeen stay ISO for programs.
  const later = new Date(NOW.getTime() + 5 * 60_000);
  const body = toWebhookPayload(n, later, 'Europe/Berlin');
  t.is(body.alert.summary, msg.summary);
  t.is(body.alert.evidence.since, since.toISOString());
  t.is(body.alert.firstSeen, a.firingSince.toISOString());
  t.true(WebhookPayload.safeParse(JSON.parse(JSON.stringify(body))).success);
  // The stored alert keeps ISO (the API's JSON).
  t.true(a.summary.includes(since.toISOString()));
});

test("Slack's fallback text (notifications, previews) says times for people like the blocks do", (t) => {
  const a = alertFor([snapshot()], 'detect_failures');
  const body = slackBody(makeNotification(a, 'firing', NOW));
  t.true(a.summary.includes(a.evidence.since!), 'the stored summary has the ISO time');
  t.notRegex(body.text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no ISO time in the fallback text');
  t.regex(body.text, /since .*, 2 d ago/);
});
