import fc from 'fast-check';
import { QuantityError, cpuMilli, memoryMiB, parseQuantity } from './kube-quantity';

describe('Kubernetes quantities', () => {
  it.each([
    ['500m', 500],
    ['2', 2000],
    ['0.1', 100],
    ['1.5', 1500],
    ['0.3', 300],
    ['100u', 1],
    ['1k', 1_000_000],
    ['2e3', 2_000_000],
    [4, 4000],
  ])('cpu %p is %p milli', (input, milli) => {
    expect(cpuMilli(input)).toBe(milli);
  });

  it.each([
    ['16Gi', 16 * 1024],
    ['512Mi', 512],
    ['1G', 954],
    ['128974848', 123],
    ['1Ti', 1024 * 1024],
    ['1.5Gi', 1536],
  ])('memory %p is %p MiB', (input, mib) => {
    expect(memoryMiB(input)).toBe(mib);
  });

  it.each(['', 'abc', '1.2.3', '-1', '5Gb', '1Q', 'Gi', '1e400'])('rejects %p with a typed error', (input) => {
    expect(() => parseQuantity(input)).toThrow(QuantityError);
  });

  it('milli-cores round-trip for any integer count of milli-cores', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        (m) => cpuMilli(`${m}m`) === m && cpuMilli(String(m / 1000)) === m,
      ),
    );
  });

  it('Mi round-trips and Gi is 1024 Mi', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        (n) => memoryMiB(`${n}Mi`) === n && memoryMiB(`${n}Gi`) === n * 1024,
      ),
    );
  });
});
