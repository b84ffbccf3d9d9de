/** Starting bench/e2e/control-plane-process.ts and reading the events it prints. */
import { type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnTs } from './bench-processes';
import type { ControlPlaneEvent } from './control-plane-process';

export type LagWindow = Extract<ControlPlaneEvent, { event: 'lag' }>;

export interface ControlPlaneChild {
  readonly process: ChildProcess;
  /** Every event so far except the lag windows (those go to `onLag`). */
  readonly events: ControlPlaneEvent[];
  /** The first `event` at or after `after` (epoch ms), waiting for it if need be. */
  waitFor<E extends ControlPlaneEvent['event']>(
    event: E,
    after?: number,
    timeoutMs?: number,
  ): Promise<Extract<ControlPlaneEvent, { event: E }>>;
  /** The base URL, once up. */
  readonly url: string;
  readonly exited: Promise<void>;
}

/**
 * A control plane configured by `env` (the variables `startControlPlane` reads). `cpuProfileDir`
 * writes its CPU profile there when it exits (after SIGTERM; a SIGKILL leaves none).
 */
export function startControlPlaneChild(
  env: NodeJS.ProcessEnv,
  options: { windowMs: number; cpuProfileDir?: string; onLag: (window: LagWindow) => void },
): ControlPlaneChild {
  const child = spawnTs('bench/e2e/control-plane-process.ts', [JSON.stringify({ windowMs: options.windowMs })], {
    env,
    nodeFlags: options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [],
  });
  const events: ControlPlaneEvent[] = [];
  const waiters = new Set<() => void>();
  let url = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as ControlPlaneEvent;
    if (event.event === 'lag') return options.onLag(event);
    if (event.event === 'up') url = event.url;
    events.push(event);
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => [...waiters].forEach((wake) => wake()));
  return {
    process: child,
    events,
    get url() {
      return url;
    },
    exited,
    waitFor(event, after = 0, timeoutMs = 600_000) {
      type Found = Extract<ControlPlaneEvent, { event: typeof event }>;
      const find = () => events.find((e): e is Found => e.event === event && e.at >= after);
      return new Promise<Found>((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`no "${event}" from the control plane within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          const found = find();
          if (found) done(null, found);
          else if (child.exitCode !== null || child.signalCode !== null)
            done(new Error(`the control plane exited (${child.exitCode ?? child.signalCode}) before "${event}"`));
        };
        const done = (error: Error | null, found?: Found) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(found!);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
