/**
 * What a hostile or careless client sends, as JSON values (RawJson for number tokens that
 * JSON.stringify would rewrite) and as text for query and path parameters.
 */
import fc from 'fast-check';
import { RawJson } from './json-text';

const INT32_MAX = 2 ** 31 - 1;

/** Integers at the edges of int32 and of the doubles that hold integers exactly (int53). */
const boundaryNumbers = fc.constantFrom<unknown>(
  INT32_MAX,
  INT32_MAX + 1,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  new RawJson('9007199254740993'), // 2^53 + 1: JSON.parse rounds it
  new RawJson('123456789012345678901234567890'),
  new RawJson('1e400'), // Infinity once parsed
  new RawJson('-1e400'),
  new RawJson('1e-400'), // 0 once parsed
  new RawJson('-0'),
  new RawJson('-0.0'),
  new RawJson('0e0'),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  0.1 + 0.2,
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '42',
);

/** Strings PostgreSQL cannot store, and unicode that is valid but unusual. */
export const hostileText = fc.constantFrom(
  '\u0000',
  'node\u0000name',
  '\ud800',
  'a\udfffb',
  '\udc00\ud800',
  'e\u0301\u0301\u0301\u0301', // combining marks
  '\u202eevil\u202c', // right-to-left override
  'مرحبا',
  '🚀👩‍👩‍👧‍👦🏳️‍🌈',
  '\ufffe\uffff\ufdd0', // non-characters
  '\u{10ffff}\u{1fffe}',
  '\ufeffbom',
  'zero\u200bwidth',
  '\r\n\t\u000b\u000c',
  '..',
  '../../etc/passwd',
  '%00',
  '%',
  '%E0%A4%A',
  ' ',
  '',
  "'; DROP TABLE scopes; --",
  'x'.repeat(300),
  'x'.repeat(70_000),
);

/** Any string fast-check can make, surrogates and all, besides the chosen ones. */
export const anyText = fc.oneof(
  { arbitrary: hostileText, weight: 3 },
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 20 }),
);

/** Nesting as text, from just past the body parser's limit (64) to far past it. */
const deepNesting = fc
  .tuple(fc.constantFrom(65, 200, 5_000, 100_000), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? new RawJson('['.repeat(depth) + ']'.repeat(depth))
      : new RawJson('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  );

/** A JSON value to plant where a field's value was. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: boundaryNumbers, weight: 4 },
  { arbitrary: anyText, weight: 4 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, 0, 1.5, -1, [], {}, [null], { $ne: 1 }), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
);

/** Keys a strict DTO does not know, hostile ones included. */
export const unknownKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', '\u0000', '\ud800', 'id', '$where'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** A query or path parameter's hostile text, before percent-encoding. */
export const hostileParameter = fc.oneof(
  { arbitrary: anyText, weight: 4 },
  { arbitrary: fc.constantFrom('00000000-0000-4000-8000-00000000000g', '0', '-1', '1e400', 'NaN', 'true'), weight: 1 },
  { arbitrary: fc.integer().map(String), weight: 1 },
);

/** Path segments written as they are, not percent-encoded: traversal and broken escapes. */
export const rawPathSegment = fc.constantFrom(
  '..',
  '.',
  '%00',
  '%2e%2e',
  '%2F',
  '%E0%A4%A',
  '%ZZ',
  '%',
  '%ED%A0%80',
  '%C0%80',
);

/** Query strings written as they are. */
export const rawQueryString = fc.constantFrom(
  '%00=1',
  '=',
  '&&&',
  '%',
  'a[b][c]=1',
  'a[]=1&a[]=2',
  'limit=%00',
  'limit=1&limit=2',
  'cursor=%ED%A0%80',
  `x=${'y'.repeat(10_000)}`,
);
