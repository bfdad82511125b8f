/**
 * The status rule for the agent's sources (issue 12, protocol 2's `source_state` events): a Windows Update event
 * channel the agent cannot read is a machine on which detection failures cannot be seen. It is the operator's to
 * fix on the machine, so it makes the machine `misconfigured`, with the command that fixes it; policy, probe and
 * heartbeats still arrive, so the other reasons are judged as usual and kept beside it. Pure, like rules.ts.
 */
import type { StatusReason } from './types.js';

/** What the collector keeps of one source's last reported state (plain JSON: it lives in a jsonb column). */
export interface SourceStateFact {
  /** What kind of source (`event_channel`). */
  source: string;
  /** Its name (the channel). */
  name: string;
  state: 'enabled' | 'disabled' | 'unavailable';
  reason: string | null;
  /** ISO time of the report that first gave this state. */
  since: string;
}

/** The command that turns an event channel on (wevtutil's set-log, `/e:true`); run as an administrator. */
export function enableChannelCommand(name: string): string {
  return `wevtutil sl ${name} /e:true`;
}

/** The reasons for sources the agent reports as not readable; none when every source is enabled or unknown. */
export function sourceStateReasons(states: readonly SourceStateFact[] | undefined): StatusReason[] {
  const reasons: StatusReason[] = [];
  for (const s of states ?? []) {
    if (s.source !== 'event_channel' || s.state === 'enabled') continue;
    const fix = enableChannelCommand(s.name);
    const blind =
      'so detection failures cannot be seen on this machine meanwhile (policy, probe and heartbeats are still reported)';
    reasons.push(
      s.state === 'disabled'
        ? {
            code: 'EVENT_CHANNEL_DISABLED',
            status: 'misconfigured',
            message: `The event channel ${s.name} is disabled since ${s.since}, ${blind}. Enable it as an administrator: ${fix}`,
            evidence: { problem: 'disabled', since: s.since, remedy: fix },
          }
        : {
            code: 'EVENT_CHANNEL_UNAVAILABLE',
            status: 'misconfigured',
            message: `The agent cannot read the event channel ${s.name} since ${s.since}${s.reason ? ` (${s.reason})` : ''}, ${blind}. Check that wevtutil.exe is present in System32 and that the channel is enabled: ${fix}`,
            evidence: {
              problem: 'unavailable',
              since: s.since,
              remedy: fix,
              ...(s.reason ? { description: s.reason } : {}),
            },
          },
    );
  }
  return reasons;
}
