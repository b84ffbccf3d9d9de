/**
 * Counts mutations handled by this instance. A read that started before a mutation began (or
 * before it committed) belongs to an older generation.
 */
export class MutationClock {
  private generation = 0;

  tick(): void {
    this.generation++;
  }

  now(): number {
    return this.generation;
  }
}

/**
 * Concurrent callers of an expensive read (the campus scope tree) share one in-flight query
 * instead of each running it. A caller joins only a read of the current mutation generation, so
 * a client that just changed something through this API never receives a result read before
 * its change committed.
 */
export class CoalescedRead<T> {
  private inflight: { generation: number; result: Promise<T> } | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly clock: MutationClock,
  ) {}

  get(): Promise<T> {
    const generation = this.clock.now();
    if (this.inflight?.generation === generation) return this.inflight.result;
    const current = {
      generation,
      result: this.read().finally(() => {
        if (this.inflight === current) this.inflight = undefined;
      }),
    };
    this.inflight = current;
    return current.result;
  }
}
