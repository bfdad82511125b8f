/** A counting semaphore: bounds concurrent database writes so a reconnect storm queues instead of piling up. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Resolves when a slot is free; call the returned function to release it. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiters.shift()?.();
    };
  }

  /** Number of writers holding or waiting for a slot. */
  get pressure(): number {
    return this.active + this.waiters.length;
  }
}
