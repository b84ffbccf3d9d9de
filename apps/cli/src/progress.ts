/**
 * Progress of long work on stderr: a bar on a terminal, plain lines otherwise (CI logs,
 * pipes), never on stdout, which carries the data.
 */
import { SingleBar } from 'cli-progress';
import type { CliStream } from './cli-io';

export interface Progress {
  /** Work done so far, out of the total given to `startProgress`. */
  update(done: number): void;
  /** Done or abandoned: release the terminal (call `update(total)` first when done). */
  stop(): void;
}

/** Plain lines at every 10 % step, so a 100,000-step job writes about ten lines. */
const LINE_STEPS = 10;

export function startProgress(stream: CliStream, label: string, total: number): Progress {
  if (stream.isTTY) return barProgress(stream, label, total);
  return lineProgress(stream, label, total);
}

/** For commands that may run quietly (e.g. with --json into a pipe, where stderr is still a terminal). */
export const silentProgress: Progress = { update: () => undefined, stop: () => undefined };

function barProgress(stream: CliStream, label: string, total: number): Progress {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`,
    stream: stream as NodeJS.WritableStream,
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}

function lineProgress(stream: CliStream, label: string, total: number): Progress {
  let reportedStep = -1;
  const started = Date.now();
  const report = (done: number) => {
    const step = total > 0 ? Math.floor((Math.min(done, total) / total) * LINE_STEPS) : LINE_STEPS;
    if (step <= reportedStep) return;
    reportedStep = step;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`${label}: ${step * (100 / LINE_STEPS)}% (${Math.min(done, total)}/${total}, ${seconds}s)\n`);
  };
  return { update: report, stop: () => undefined };
}
