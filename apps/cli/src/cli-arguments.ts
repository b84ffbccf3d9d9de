/** Parsers for option values; each throws a UsageError (exit 2) naming the option and what it expects. */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './cli-errors';

/** The most seeds one run takes; a range typo like 42-4200 should not run for hours. */
export const MAX_SEEDS = 1000;

/** `42-51` (inclusive range), `42,43,47`, or a mix: `1-3,10`. Distinct, in the order given. */
export function parseSeeds(text: string, option = '--seeds'): number[] {
  const seeds: number[] = [];
  const seen = new Set<number>();
  const add = (seed: number) => {
    if (!seen.has(seed)) {
      seen.add(seed);
      seeds.push(seed);
    }
  };
  const parts = text.split(',').map((part) => part.trim());
  for (const part of parts) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const from = safeInteger(range[1], option, text);
      const to = safeInteger(range[2], option, text);
      if (to < from) throw new UsageError(`${option} ${JSON.stringify(text)}: range ${part} ends before it starts`);
      if (to - from + 1 > MAX_SEEDS)
        throw new UsageError(`${option} ${JSON.stringify(text)}: at most ${MAX_SEEDS} seeds`);
      for (let seed = from; seed <= to; seed++) add(seed);
    } else if (/^\d+$/.test(part)) {
      add(safeInteger(part, option, text));
    } else {
      throw new UsageError(
        `${option} ${JSON.stringify(text)}: expected seeds like 42-51 or 42,43 (non-negative integers)`,
      );
    }
    if (seeds.length > MAX_SEEDS) throw new UsageError(`${option} ${JSON.stringify(text)}: at most ${MAX_SEEDS} seeds`);
  }
  return seeds;
}

function safeInteger(digits: string, option: string, text: string): number {
  const value = Number(digits);
  if (!Number.isSafeInteger(value) || value > 0xffffffff)
    throw new UsageError(`${option} ${JSON.stringify(text)}: seed ${digits} is too large (max ${0xffffffff})`);
  return value;
}

/** A whole number within bounds, e.g. `--pods 100000`. */
export function parseIntegerOption(text: string, option: string, min: number, max: number): number {
  const trimmed = text.trim().replace(/_/g, '');
  if (!/^\d+$/.test(trimmed))
    throw new UsageError(`${option} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  const value = Number(trimmed);
  if (value < min || value > max)
    throw new UsageError(`${option} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  return value;
}

/** A decimal within bounds, e.g. `--tune 1.3`. */
export function parseNumberOption(text: string, option: string, min: number, max: number): number {
  const trimmed = text.trim();
  const value = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${option} ${JSON.stringify(text)}: expected a number from ${min} to ${max}`);
  }
  return value;
}

/** Reads a file named on the command line; a missing or unreadable one is a usage error. */
export function readInputFile(cwd: string, file: string, what: string): { path: string; text: string } {
  const path = resolve(cwd, file);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`${what} ${file}: no such file`);
  }
  if (!isFile) throw new UsageError(`${what} ${file}: not a regular file`);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    throw new UsageError(`${what} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
