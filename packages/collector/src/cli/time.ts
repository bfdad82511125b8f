/** Times in CLI tables: local time with zone and age (`14:02 CET, 3 h ago`), in the zone TZ names; JSON keeps ISO. */
import { humanTime } from '@wuwatch/core';
import { peopleTimeZone } from '../time/people.js';
import type { CliIo } from './io.js';

/** A formatter bound to the command's clock and time zone. */
export function timeFormatter(io: CliIo, now: Date = new Date()): (v: string | null | undefined) => string {
  const zone = peopleTimeZone(io.env);
  return (v) => humanTime(v, now, zone);
}
