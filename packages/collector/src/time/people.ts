/**
 * Times in texts for people (issue 17): the dashboard's "why" texts and the alert messages say
 * "since 14:02 CET, 3 h ago" (core's humanTime: local time with its zone, then how long ago) where the stored text
 * says an ISO time. Texts are stored and compared with ISO times (a status reason must not change every minute just
 * because "3 h ago" became "4 h ago"), and JSON fields keep ISO; the rendering for people happens here, at the
 * reader's now.
 *
 * The zone is the collector process's: TZ in its environment (e.g. `TZ=Europe/Berlin wuwatch serve`), else the
 * system zone, else UTC. The collector's config has no zone setting of its own.
 */
import { humanTime } from '@wuwatch/core';

/** An ISO 8601 time as the collector writes them into texts (`Date.toISOString()`), or with an offset. */
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})(?![\w:])/g;

/**
 * The IANA zone for people's times: TZ from the environment, or undefined for the process's own. glibc's `:Zone/Name`
 * spelling (containers, systemd units) names the same zone, and Node's clock reads it so: without the colon here an
 * explicit zone would be refused and the times shown in UTC. A TZ that is no IANA name (a POSIX rule, a file path) is
 * left to the process, which made of it what it could.
 */
export function peopleTimeZone(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const zone = env.TZ?.replace(/^:/, '');
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

/** Every ISO time in `text` rewritten as "14:02 CET, 3 h ago" relative to `now`, in `timeZone`. */
export function humanizeTimes(text: string, now: Date, timeZone: string | undefined = peopleTimeZone()): string {
  return text.replace(ISO_TIME, (iso) => humanTime(iso, now, timeZone));
}

/** One time for people ("14:02 CET, 3 h ago"; "-" when absent), in the collector's zone. */
export function peopleTime(
  v: Date | string | null | undefined,
  now: Date,
  timeZone: string | undefined = peopleTimeZone(),
): string {
  return humanTime(v, now, timeZone);
}
