// Hostile alert data for the escaping tests (issue 14, findings 4 and 5): a notification naming a machine whose
// hostname carries Slack mentions and links, terminal escape sequences, header-breaking newlines and bidi overrides.
import { makeNotification } from '../../src/alerts/state.js';
import type { Alert, Notification } from '../../src/alerts/types.js';

/** A hostname an attacker controlling an agent (or its machine name) could report. */
export const HOSTILE_HOSTNAME =
  '<!channel> <https://evil.example/|click> @here &amp; \u001b]0;pwned\u0007\u001b[2J\r\nBcc: victim@example.com\u202Egpj.exe';

/** A firing notification about the hostile machine. */
export function hostileNotification(now = new Date('2026-12-06T12:00:00.000Z')): Notification {
  const alert: Alert = {
    id: 'alr_0123456789abcdef0123',
    rule: 'detect_failures',
    subject: 'machine:m1',
    severity: 'warning',
    title: `Windows Update detection failing on ${HOSTILE_HOSTNAME}`,
    summary: `Detection failed 3 times on ${HOSTILE_HOSTNAME}.`,
    evidence: { hresult: '0x80244022', count: 3 },
    fix: 'Start the WsusPool application pool.',
    machines: [{ machineId: 'm1', hostname: HOSTILE_HOSTNAME }],
    inhibitedBy: null,
    state: 'firing',
    firingSince: now,
    clearSince: null,
    goodObservations: 0,
    resolvedAt: null,
    lastSeen: now,
    lastNotifiedAt: null,
    lastNotifiedState: null,
  };
  return makeNotification(alert, 'firing', now);
}
