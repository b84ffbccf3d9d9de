import { CoalescedRead, MutationClock } from './coalesced-read';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('CoalescedRead', () => {
  it('shares one in-flight read between concurrent callers, then reads again', async () => {
    const clock = new MutationClock();
    const pending = [deferred<number>(), deferred<number>()];
    let calls = 0;
    const read = new CoalescedRead(() => pending[calls++].promise, clock);
    const a = read.get();
    const b = read.get();
    expect(calls).toBe(1);
    pending[0].resolve(1);
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    const c = read.get();
    expect(calls).toBe(2);
    pending[1].resolve(2);
    expect(await c).toBe(2);
  });

  it('does not join a read that started before a mutation', async () => {
    const clock = new MutationClock();
    const pending = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const read = new CoalescedRead(() => pending[calls++].promise, clock);
    const before = read.get();
    clock.tick();
    const after = read.get();
    expect(calls).toBe(2);
    pending[1].resolve('new');
    pending[0].resolve('old');
    expect(await before).toBe('old');
    expect(await after).toBe('new');
    // The newer read is still the one shared; the older one's completion does not evict it.
    expect(calls).toBe(2);
  });

  it('a failed read is not kept', async () => {
    const clock = new MutationClock();
    let calls = 0;
    const read = new CoalescedRead(async () => {
      calls++;
      if (calls === 1) throw new Error('connection lost');
      return 'ok';
    }, clock);
    await expect(read.get()).rejects.toThrow('connection lost');
    expect(await read.get()).toBe('ok');
  });
});
