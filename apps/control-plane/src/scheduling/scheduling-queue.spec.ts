import fc from 'fast-check';
import { SchedulingQueue } from './scheduling-queue';

const options = { initialBackoffMs: 1000, maxBackoffMs: 8000, maxUnschedulableMs: 60_000 };

describe('SchedulingQueue', () => {
  it('pops by priority, then first come first served', () => {
    const q = new SchedulingQueue<string>(options);
    q.add('low', 'low', 0, 1);
    q.add('high-late', 'high-late', 1000, 3);
    q.add('high-early', 'high-early', 1000, 2);
    expect(q.popBatch(10, 10).map((u) => u.key)).toEqual(['high-early', 'high-late', 'low']);
    expect(q.pop(10)).toBeUndefined();
  });

  it('an unschedulable unit waits for moveAll, then for its backoff', () => {
    const q = new SchedulingQueue<string>(options);
    q.add('a', 'a', 0, 0);
    q.pop(0);
    q.markUnschedulable('a', 0);
    expect(q.pop(100_000 - 1)).toBeUndefined(); // nothing changed, and below maxUnschedulableMs it is not flushed either
    q.moveAll(500);
    expect(q.pop(500)).toBeUndefined(); // still backing off (1 s after the first failure)
    expect(q.nextReadyAt()).toBe(1000);
    expect(q.pop(1000)?.attempts).toBe(1);
  });

  it('backoff doubles per attempt up to the maximum', () => {
    const q = new SchedulingQueue<string>(options);
    expect([1, 2, 3, 4, 5, 9].map((n) => q.backoffMs(n))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('a change during an attempt sends the unit to backoff instead of the pool, so the change is not missed', () => {
    const q = new SchedulingQueue<string>(options);
    q.add('a', 'a', 0, 0);
    q.pop(0);
    q.moveAll(1); // e.g. a release while the engine was deciding
    q.markUnschedulable('a', 2);
    expect(q.counts().backoff).toBe(1);
    expect(q.pop(2 + 1000)?.key).toBe('a');
  });

  it('flushes units that waited longer than maxUnschedulableMs', () => {
    const q = new SchedulingQueue<string>(options);
    q.add('a', 'a', 0, 0);
    q.pop(0);
    q.markUnschedulable('a', 0);
    q.flushUnschedulable(59_999);
    expect(q.pop(59_999)).toBeUndefined();
    q.flushUnschedulable(60_000);
    expect(q.pop(60_000)?.key).toBe('a');
  });

  it('an update of an unschedulable unit makes it active again; removal forgets it', () => {
    const q = new SchedulingQueue<string>(options);
    q.add('a', 'v1', 0, 0);
    q.pop(0);
    q.markUnschedulable('a', 0);
    q.add('a', 'v2', 0, 1);
    expect(q.pop(1)?.item).toBe('v2');
    q.add('b', 'b', 0, 2);
    q.remove('b');
    expect(q.pop(3)).toBeUndefined();
    expect(q.size).toBe(1); // 'a' is in flight until the caller removes it
  });

  it('transient failures back off', () => {
    const q = new SchedulingQueue<string>(options);
    q.add('a', 'a', 0, 0);
    q.pop(0);
    q.markFailed('a', 0);
    expect(q.pop(999)).toBeUndefined();
    expect(q.pop(1000)?.attempts).toBe(1);
  });

  it('property: every added unit is popped exactly once per activation, highest priority first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 4 })), { maxLength: 60 }),
        (adds) => {
          const q = new SchedulingQueue<number>(options);
          const latest = new Map<number, number>();
          adds.forEach(([key, priority], i) => {
            q.add(String(key), key, priority, i);
            latest.set(key, priority);
          });
          const popped = q.popBatch(1000, 1000);
          const keys = popped.map((u) => u.item);
          if (new Set(keys).size !== keys.length || keys.length !== latest.size) return false;
          const priorities = keys.map((k) => latest.get(k) as number);
          return priorities.every((p, i) => i === 0 || priorities[i - 1] >= p);
        },
      ),
    );
  });
});
