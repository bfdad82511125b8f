/** A counting semaphore: bounds concurrent database writes so a reconnect storm queues instead of piling up. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Resolves when a slot is free; call the returned function to release it. */
  async acquire(): Promise<() => void> {
    // A released slot is handed straight to the first waiter (active stays the same): counting it free in between
    // would let a newcomer take it too, and max + 1 writers would run.
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }

  /** Number of writers holding or waiting for a slot. */
  get pressure(): number {
    return this.active + this.waiters.length;
  }
}
