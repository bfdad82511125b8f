/**
 * Findings from Microsoft-Windows-WindowsUpdateClient events, in the log parser's vocabulary.
 * Decisions (design notes §1):
 * - 25 → failed detection (cancelled when its code is a cancellation, catalogue/outcome.ts), 26 → succeeded detection
 *   (updatesFound from updateCount). Both name the update service they scanned in `serviceGuid` when the client
 *   version writes it (Windows 10+), so a Store or flighting scan is told apart from the WSUS one.
 * - 19 → succeeded install, 20 → failed install: title from updateTitle, KB number from the title, update ID from
 *   updateGuid, service from serviceGuid (EventData of events 19/20, design notes §1).
 * - 31 (download failed) → network_error: downloading is the step that fetches content from the update server, and
 *   the collector classes the code (a local cause such as a full disk classes as local_agent, not unreachable).
 * - 32 (cannot connect to the server) → network_error; 33 (proxy needs credentials) → network_error with HTTP 407.
 * - 16 ("unable to connect to the AU service") → null: it is the local service, not an update server.
 * - Other IDs and other providers → null. The channel is not checked: IDs belong to the provider, so events read
 *   from System and from Operational map the same way.
 */
import { outcomeOfCode } from '../catalogue/outcome.js';
import { normalizeServiceId, updateServiceById, updateServiceName } from '../catalogue/services.js';
import { parseHresult } from '../hresult/normalize.js';
import { kbOf } from '../wulog/install.js';
import type { Hresult } from '../hresult/normalize.js';
import { httpStatusFromHresult } from '../wulog/http-status.js';
import type { EventFinding, EventOrigin, WinEvent } from './types.js';

/** Provider name of the Windows Update client events. */
export const WU_CLIENT_PROVIDER = 'Microsoft-Windows-WindowsUpdateClient';

/** Maps one event to a finding, or null when the event says nothing wuwatch tracks. */
export function eventToFinding(ev: WinEvent): EventFinding | null {
  if (ev.provider.toLowerCase() !== WU_CLIENT_PROVIDER.toLowerCase()) return null;
  const origin: EventOrigin = { recordId: ev.recordId, channel: ev.channel, eventId: ev.eventId, time: ev.time };
  const hresult = codeOf(ev);
  const serviceId = normalizeServiceId(dataValue(ev, 'serviceGuid'));
  switch (ev.eventId) {
    case 25:
    case 26: {
      const known = updateServiceById(serviceId);
      return {
        kind: 'detection',
        ...origin,
        caller: null,
        managed: known === undefined || known.key === 'default' ? null : known.key === 'wsus',
        serverUrl: null,
        // Event 25 without a readable code is still a failure: the event says so.
        outcome: ev.eventId === 26 ? 'succeeded' : hresult === null ? 'failed' : failedOrCancelled(hresult),
        hresult: ev.eventId === 25 ? hresult : null,
        updatesFound: ev.eventId === 26 ? count(dataValue(ev, 'updateCount')) : null,
        serviceId,
        serviceName: updateServiceName(serviceId, null),
      };
    }
    case 19:
    case 20: {
      const title = nonEmpty(dataValue(ev, 'updateTitle'));
      return {
        kind: 'install',
        ...origin,
        outcome: ev.eventId === 19 ? 'succeeded' : hresult === null ? 'failed' : failedOrCancelled(hresult),
        hresult: ev.eventId === 20 ? hresult : null,
        title,
        kb: kbOf(title),
        updateId: normalizeServiceId(dataValue(ev, 'updateGuid')),
        serviceId,
      };
    }
    case 31:
    case 32:
      return { kind: 'network_error', ...origin, hresult, url: urlIn(ev), httpStatus: httpStatusFromHresult(hresult) };
    case 33:
      return { kind: 'network_error', ...origin, hresult, url: null, httpStatus: 407 };
    default:
      return null;
  }
}

/** A failure event's outcome: cancelled for a cancellation code, else failed (never succeeded: the event says it failed). */
function failedOrCancelled(code: Hresult): 'failed' | 'cancelled' {
  return outcomeOfCode(code) === 'cancelled' ? 'cancelled' : 'failed';
}

/** Maps events to findings, dropping the ones that carry none. */
export function eventsToFindings(events: readonly WinEvent[]): EventFinding[] {
  return events.map(eventToFinding).filter((f): f is EventFinding => f !== null);
}

// EventData names are matched case-insensitively: their spelling is not guaranteed across client versions.
function dataValue(ev: WinEvent, name: string): string | null {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(ev.data)) if (key.toLowerCase() === lower) return value;
  return null;
}

function codeOf(ev: WinEvent): Hresult | null {
  const raw = dataValue(ev, 'errorCode');
  return raw === null ? null : parseHresult(raw);
}

function count(raw: string | null): number | null {
  if (raw === null || !/^\d+$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

function nonEmpty(raw: string | null): string | null {
  const t = raw?.trim() ?? '';
  return t === '' ? null : t;
}

// Event 32 names its server in a data field whose name is not documented: take the first value that is a URL.
function urlIn(ev: WinEvent): string | null {
  for (const value of Object.values(ev.data)) {
    const t = value.trim();
    if (/^https?:\/\/\S+$/i.test(t)) return t;
  }
  return null;
}
