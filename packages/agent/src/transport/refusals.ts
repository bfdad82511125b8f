/**
 * Telling a poison event from a collector in trouble, pure. The collector closes the connection (1011, or 1008 after
 * a protocol error) when it cannot store a batch; the agent then sends the refused batch's events one at a time, so
 * the next refusal names one event. An event refused `limit` times on its own, each time on a connection the
 * collector had welcomed (so its database answered the hello), is set aside and delivery goes on after it; any
 * acknowledgement past it clears the count.
 */

/** Seqs of a batch: `first`..`last`. */
export interface SeqRange {
  readonly first: number;
  readonly last: number;
}

/** What to do after a refusal. */
export type RefusalVerdict = { readonly action: 'retry' } | { readonly action: 'set_aside'; readonly seq: number };

/** Counts refusals of the first unacknowledged event; see the file comment. */
export class RefusalTracker {
  private seq = 0;
  private count = 0;
  // Events up to this seq go one per batch: the range of the last batch refused.
  private narrowUpTo = 0;

  constructor(private readonly limit: number) {}

  /** Refusals of the event now suspected (0 when none is). */
  get refusals(): number {
    return this.count;
  }

  /** The collector refused the batch `range` (the first one it had not acknowledged). */
  refused(range: SeqRange): RefusalVerdict {
    this.narrowUpTo = Math.max(this.narrowUpTo, range.last);
    if (range.first !== range.last) return { action: 'retry' };
    if (range.first !== this.seq) {
      this.seq = range.first;
      this.count = 0;
    }
    this.count++;
    if (this.count < this.limit) return { action: 'retry' };
    this.count = 0;
    return { action: 'set_aside', seq: range.first };
  }

  /** The collector acknowledged (or the agent set aside) every event up to `seq`. */
  acked(seq: number): void {
    if (seq >= this.seq) this.count = 0;
  }

  /** Largest batch to send next when it would start after `afterSeq`: one event while inside a refused range. */
  maxEvents(afterSeq: number, usual: number): number {
    return afterSeq < this.narrowUpTo ? 1 : usual;
  }
}
