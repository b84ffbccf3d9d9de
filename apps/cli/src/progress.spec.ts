import { startProgress } from './progress';

function capture(isTTY: boolean) {
  let text = '';
  return {
    stream: {
      isTTY,
      write: (chunk: string) => (text += chunk),
      columns: 100,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => undefined,
      removeListener: () => undefined,
    },
    text: () => text,
  };
}

describe('startProgress', () => {
  it('writes plain lines at every 10 % when not on a terminal', () => {
    const out = capture(false);
    const progress = startProgress(out.stream, 'placing', 1000);
    for (let done = 1; done <= 1000; done++) progress.update(done);
    progress.stop();
    const lines = out.text().trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/, [\d.]+s\)$/, ')'))).toEqual([
      'placing: 0% (1/1000)',
      ...[10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => `placing: ${p}% (${p * 10}/1000)`),
    ]);
  });

  it('draws a bar on a terminal', () => {
    const out = capture(true);
    const progress = startProgress(out.stream, 'importing', 4);
    progress.update(2);
    progress.update(4);
    progress.stop();
    expect(out.text()).toContain('importing [');
    expect(out.text()).toContain('100% | 4/4');
  });
});
