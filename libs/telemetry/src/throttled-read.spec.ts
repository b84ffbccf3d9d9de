import { ThrottledRead } from './throttled-read';

/** A read whose result and completion the test controls, on a clock the test moves. */
function harness(serveStale = false) {
  let clock = 0;
  let reads = 0;
  let fail = false;
  const errors: unknown[] = [];
  const throttled = new ThrottledRead(
    async () => {
      reads += 1;
      clock += 100; // each read takes 100 ms
      if (fail) throw new Error('database down');
      return reads;
    },
    { minIntervalMs: 10_000, now: () => clock, onError: (e) => errors.push(e), serveStale },
  );
  return {
    throttled,
    errors,
    reads: () => reads,
    advance: (ms: number) => (clock += ms),
    failReads: (value: boolean) => (fail = value),
  };
}

describe('ThrottledRead', () => {
  it('reads once per interval, whoever asks, and reports age and duration', async () => {
    const h = harness();
    expect(await h.throttled.get()).toEqual({ value: 1, ageSeconds: 0, durationSeconds: 0.1 });
    h.advance(9_000);
    expect(await h.throttled.get()).toEqual({ value: 1, ageSeconds: 9, durationSeconds: 0.1 });
    expect(h.reads()).toBe(1);
    h.advance(1_000);
    expect((await h.throttled.get())?.value).toBe(2);
    expect(h.reads()).toBe(2);
  });

  it('concurrent askers share the read in flight', async () => {
    const h = harness();
    const values = await Promise.all([h.throttled.get(), h.throttled.get(), h.throttled.get()]);
    expect(values.map((v) => v?.value)).toEqual([1, 1, 1]);
    expect(h.reads()).toBe(1);
  });

  it('keeps serving the last good value when a read fails, and does not retry before the interval', async () => {
    const h = harness();
    await h.throttled.get();
    h.advance(10_000);
    h.failReads(true);
    expect(await h.throttled.get()).toMatchObject({ value: 1, ageSeconds: 10.1 });
    expect(h.errors).toHaveLength(1);
    expect(await h.throttled.get()).toMatchObject({ value: 1 });
    expect(h.reads()).toBe(2);
    h.advance(10_000);
    h.failReads(false);
    expect((await h.throttled.get())?.value).toBe(3);
  });

  it('gives undefined until a read has succeeded', async () => {
    const h = harness();
    h.failReads(true);
    expect(await h.throttled.get()).toBeUndefined();
    expect(h.errors).toHaveLength(1);
  });

  it('with serveStale, answers with the last value at once and reads in the background when due', async () => {
    const h = harness(true);
    expect((await h.throttled.get())?.value).toBe(1); // the first asker waits: there is nothing to serve
    h.advance(10_000);
    expect((await h.throttled.get())?.value).toBe(1); // due: served at once, read started
    expect(h.reads()).toBe(2);
    expect((await h.throttled.get())?.value).toBe(2); // the background read has finished
    expect(h.reads()).toBe(2);
  });
});
