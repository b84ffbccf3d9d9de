/**
 * Kubernetes resource quantities ("500m", "2", "1.5", "16Gi", "1e3", "128974848") as the
 * integers the scheduler counts in: CPU in milli-cores, memory in MiB. Parsing is exact
 * for every suffix the API server accepts; anything else is a typed error, never NaN.
 */

export class QuantityError extends Error {
  constructor(
    readonly quantity: string,
    reason: string,
  ) {
    super(`invalid quantity "${quantity}": ${reason}`);
    this.name = 'QuantityError';
  }
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** The value of a quantity in base units (cores, bytes); throws QuantityError. */
export function parseQuantity(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new QuantityError(String(input), 'must be a finite number >= 0');
    return input;
  }
  const text = input.trim();
  const match = QUANTITY.exec(text);
  if (!match) throw new QuantityError(input, 'not a Kubernetes quantity');
  const mantissa = Number(match[1]);
  let multiplier = 1;
  if (match[2] !== undefined) multiplier = BINARY[match[2]] ?? DECIMAL[match[2]];
  else if (match[3] !== undefined) multiplier = 10 ** Number(match[3]);
  const value = mantissa * multiplier;
  if (!Number.isFinite(value)) throw new QuantityError(input, 'out of range');
  if (value < 0) throw new QuantityError(input, 'must not be negative');
  return value;
}

/** CPU in milli-cores, rounded up as the kubelet does ("0.1" -> 100, "1u" -> 1). */
export function cpuMilli(input: string | number): number {
  return Math.ceil(roundNoise(parseQuantity(input) * 1000));
}

/** Memory in MiB, rounded up so a request is never under-counted ("1G" -> 954). */
export function memoryMiB(input: string | number): number {
  return Math.ceil(roundNoise(parseQuantity(input) / 2 ** 20));
}

/** Floating point turns "0.3" * 1000 into 300.00000000000006; a millionth of a unit is below any real request. */
function roundNoise(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
