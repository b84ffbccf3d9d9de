import fc from 'fast-check';
import { parseIntegerOption, parseNumberOption, parseSeeds } from './cli-arguments';
import { UsageError } from './cli-errors';

describe('parseSeeds', () => {
  it.each<[string, number[]]>([
    ['42-51', [42, 43, 44, 45, 46, 47, 48, 49, 50, 51]],
    ['42,43', [42, 43]],
    ['7', [7]],
    ['1-3, 10, 2', [1, 2, 3, 10]],
    ['0-0', [0]],
  ])('%s', (text, seeds) => expect(parseSeeds(text)).toEqual(seeds));

  it.each<[string, string]>([
    ['', '--seeds "": expected seeds like 42-51 or 42,43 (non-negative integers)'],
    ['a-b', '--seeds "a-b": expected seeds like 42-51 or 42,43 (non-negative integers)'],
    ['-3', '--seeds "-3": expected seeds like 42-51 or 42,43 (non-negative integers)'],
    ['1.5', '--seeds "1.5": expected seeds like 42-51 or 42,43 (non-negative integers)'],
    ['51-42', '--seeds "51-42": range 51-42 ends before it starts'],
    ['1-100000', '--seeds "1-100000": at most 1000 seeds'],
    ['99999999999', '--seeds "99999999999": seed 99999999999 is too large (max 4294967295)'],
    ['42,,43', '--seeds "42,,43": expected seeds like 42-51 or 42,43 (non-negative integers)'],
  ])('rejects %j', (text, message) => {
    expect(() => parseSeeds(text)).toThrow(new UsageError(message));
  });

  it('turns any list of seeds back into itself', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 50 }), (seeds) => {
        expect(parseSeeds(seeds.join(','))).toEqual(seeds);
      }),
    );
  });
});

describe('numeric options', () => {
  it('parses whole numbers with digit separators', () => {
    expect(parseIntegerOption('100_000', '--pods', 1, 1e7)).toBe(100_000);
  });

  it.each(['0', '-1', '1e3', 'ten', '', '20000001'])('rejects --pods %j', (text) => {
    expect(() => parseIntegerOption(text, '--pods', 1, 20_000_000)).toThrow(
      `--pods ${JSON.stringify(text)}: expected a whole number from 1 to 20000000`,
    );
  });

  it.each(['1.3', '1', '2.0'])('parses --tune %s', (text) =>
    expect(parseNumberOption(text, '--tune', 0.1, 10)).toBe(Number(text)),
  );

  it.each(['0', 'NaN', '1,3', '11', '-1.3', 'Infinity'])('rejects --tune %j', (text) => {
    expect(() => parseNumberOption(text, '--tune', 0.1, 10)).toThrow(
      `--tune ${JSON.stringify(text)}: expected a number from 0.1 to 10`,
    );
  });
});
