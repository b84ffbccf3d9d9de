import { unstorableText, unstorableTextProblems } from './unstorable-text';

describe('unstorableText', () => {
  it.each([['plain'], ['e\u0301'], ['🚀 (a surrogate pair)'], ['\u202eRTL'], ['\ufffe non-character'], ['']])(
    'accepts %j',
    (text) => expect(unstorableText(text)).toBeUndefined(),
  );

  it.each([
    ['a\u0000b', 'contains a NUL byte (U+0000), which cannot be stored'],
    ['\ud800', 'contains a lone surrogate (U+D800), which is not valid Unicode and cannot be stored'],
    ['x\udfff', 'contains a lone surrogate (U+DFFF), which is not valid Unicode and cannot be stored'],
    ['\udc00\ud800', 'contains a lone surrogate (U+DC00), which is not valid Unicode and cannot be stored'],
  ])('refuses %j', (text, message) => expect(unstorableText(text)).toBe(message));
});

describe('unstorableTextProblems', () => {
  it('names every bad string and key at any depth, with its location', () => {
    const body = { reason: 'grid\u0000', halls: [{ name: 'ok' }, { name: '\ud800' }], labels: { 'k\u0000': 'v' } };
    expect(unstorableTextProblems(body, 'body').map((p) => [p.path, p.in])).toEqual([
      ['reason', 'body'],
      ['halls[1].name', 'body'],
      ['labels["k\\u0000"]', 'body'],
    ]);
    expect(unstorableTextProblems('yaml text\u0000', 'body')[0].path).toBe('(body)');
    expect(unstorableTextProblems({ node: ['a', 'b\u0000'] }, 'query')[0]).toMatchObject({
      path: 'node[1]',
      in: 'query',
    });
  });

  it('stops after 20 problems', () => {
    expect(unstorableTextProblems(Array(1000).fill('\u0000'), 'body')).toHaveLength(20);
  });
});
