/**
 * One control plane as production runs it, in a process of its own: `startControlPlane` (the
 * HTTP app and the Kubernetes runtime together), configured by the environment the parent
 * gives it (DATABASE_URL, KUBECONFIG, SWITCHYARD_SEED_TOPOLOGY, PORT, ...). For
 * bench/e2e/benchmark-stalls.ts, which kills it with SIGKILL or stops it with SIGTERM (a
 * graceful close that releases the Lease).
 *
 * stdout, one JSON line each, `at` in epoch milliseconds:
 *   { event: 'up', at, url }                      listening
 *   { event: 'leader', at }                       acquired the Lease ('became leader' log line)
 *   { event: 'lost', at }                         lost it, or stepped down (a renewal not in time)
 *   { event: 'inventory', at }                    the cluster state took a full inventory load
 *   { event: 'rebuilt', at, detail }              the scheduler rebuilt its term from PostgreSQL
 *   { event: 'lag', at, maxMs, p99Ms, meanMs, gapMs, gapCpuMs, utilization, rssMiB }
 *                                                 event-loop delay of the last window, then reset; the longest
 *                                                 gap between two 10 ms ticks and the CPU time the process used
 *                                                 in it (about the gap: work on the loop; far less: no core to run on)
 *   { event: 'closed', at }                       after SIGTERM, before exiting
 * Argument: JSON `{ windowMs }` (default 5000).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startControlPlane } from '../../apps/control-plane/src/main';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { createRootLogger } from '../../apps/control-plane/src/logging/logger';
import { KUBERNETES_RUNTIME } from '../../apps/control-plane/src/scheduling/scheduling.controller';

export type ControlPlaneEvent =
  | { readonly event: 'up'; readonly at: number; readonly url: string }
  | { readonly event: 'leader'; readonly at: number }
  | { readonly event: 'lost'; readonly at: number }
  | { readonly event: 'inventory'; readonly at: number }
  | { readonly event: 'closed'; readonly at: number }
  | { readonly event: 'rebuilt'; readonly at: number; readonly detail: Record<string, number> }
  | {
      readonly event: 'lag';
      readonly at: number;
      readonly maxMs: number;
      readonly p99Ms: number;
      readonly meanMs: number;
      readonly gapMs: number;
      readonly gapCpuMs: number;
      readonly utilization: number;
      readonly rssMiB: number;
    };

const say = (line: ControlPlaneEvent) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** The log lines that mark a takeover's phases become events; warnings and errors go to stderr. */
const logTap = {
  write(line: string): void {
    const entry = JSON.parse(line) as { level?: string; msg?: string; [key: string]: unknown };
    const at = Date.now();
    if (entry.msg === 'became leader: rebuilding and scheduling') say({ event: 'leader', at });
    else if (entry.msg === 'lost leadership: stopped scheduling') say({ event: 'lost', at });
    if (entry.msg === 'scheduler state rebuilt') {
      const { allocations, released, adopted, pending } = entry as unknown as Record<string, number>;
      say({ event: 'rebuilt', at, detail: { allocations, released, adopted, pending } });
    } else if (entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal')
      process.stderr.write(`control plane ${process.pid}: ${line}`);
  },
};

async function main(): Promise<void> {
  const { windowMs = 5000 } = JSON.parse(process.argv[2] ?? '{}') as { windowMs?: number };
  // What prom-client's nodejs_eventloop_lag_max_seconds reads, with its own histogram reset per window.
  // reset() drops a stall the histogram has not recorded yet (it does so at its next tick), as
  // prom-client's reset at each scrape does: the 10 ms ticker below sees those too.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // A stall and a starved process look alike in the delay; the CPU used during the gap tells them apart.
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let tick = { at: performance.now(), cpu: cpuMs() };
  let gap = { ms: 0, cpuMs: 0 };
  setInterval(() => {
    const now = { at: performance.now(), cpu: cpuMs() };
    if (now.at - tick.at > gap.ms) gap = { ms: now.at - tick.at, cpuMs: now.cpu - tick.cpu };
    tick = now;
  }, 10);
  let busy = performance.eventLoopUtilization();
  setInterval(() => {
    const utilization = performance.eventLoopUtilization(busy).utilization;
    busy = performance.eventLoopUtilization();
    say({
      event: 'lag',
      at: Date.now(),
      maxMs: delay.max / 1e6,
      p99Ms: delay.percentile(99) / 1e6,
      meanMs: delay.mean / 1e6,
      gapMs: Math.round(gap.ms),
      gapCpuMs: Math.round(gap.cpuMs),
      utilization: Math.round(utilization * 100) / 100,
      rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20),
    });
    delay.reset();
    gap = { ms: 0, cpuMs: 0 };
  }, windowMs);

  const handle = await startControlPlane({ logger: createRootLogger('info', logTap), print: () => undefined });
  const runtime = handle.app.get<symbol, KubernetesRuntime | null>(KUBERNETES_RUNTIME);
  runtime?.state.onChange((change) => {
    if (change === 'inventory') say({ event: 'inventory', at: Date.now() });
  });
  say({ event: 'up', at: Date.now(), url: handle.url });
  process.once('SIGTERM', () => {
    void handle.close().then(() => {
      say({ event: 'closed', at: Date.now() });
      process.exit(0);
    });
  });
}

void main().catch((error) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
