import { jsonStructureProblem } from './json-structure';

describe('jsonStructureProblem', () => {
  it.each([
    ['{}'],
    ['{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}'],
    ['{"a\\"b":1,"a\\\\":2,"a":"}{,\\"","b":"[["}'],
    ['[[[[1]]]]'],
  ])('accepts %s', (text) => {
    expect(jsonStructureProblem(text)).toBeUndefined();
  });

  it('refuses a key twice in one object, naming where, escapes decoded', () => {
    expect(jsonStructureProblem('{"name":"a","gpuQuota":1,"name":"b"}')).toEqual({
      path: ['name'],
      message: 'is a duplicate key',
    });
    expect(jsonStructureProblem('{"halls":[{"n":1},{"n":1,"\\u006e":2}]}')).toEqual({
      path: ['halls', 1, 'n'],
      message: 'is a duplicate key',
    });
  });

  it('refuses nesting deeper than the limit, and accepts it at the limit', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(jsonStructureProblem(nested(64))).toBeUndefined();
    expect(jsonStructureProblem(nested(65))?.message).toBe('nests deeper than 64 levels');
    expect(jsonStructureProblem('{"a":{"b":[[1]]}}', 3)).toEqual({
      path: ['a', 'b', 0],
      message: 'nests deeper than 3 levels',
    });
  });

  it('handles a megabyte of nesting without recursion', () => {
    expect(jsonStructureProblem(`{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`)?.message).toContain('deeper');
  });
});
