/**
 * Fault injection on the embedded API while the scheduler places pods: added latency, 500s,
 * 429s with Retry-After and watch streams cut every 1.5 s. The scheduler must recover without
 * a lost or duplicated allocation: every pod ends bound once, with exactly the allocation its
 * annotations name, and nothing is left allocated for a pod that does not exist.
 */
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import {
  boundPods,
  expectAllocationsMatchPods,
  generateTopology,
  mixedPod,
  openWorld,
  quietLogger,
  settledAllocations,
  startLeadingEmbeddedRuntime,
  type E2eWorld,
} from './e2e-support';

const PODS = 150;

describe('scheduling under API faults', () => {
  let world: E2eWorld;
  let runtime: KubernetesRuntime;

  beforeAll(async () => {
    const topology = generateTopology('demo', { halls: 1, rowsPerHall: 2, racksPerRow: 4 });
    world = await openWorld(topology, '(generated)');
    const { writeFileSync } = await import('node:fs');
    const { stringifyTopology } = await import('@switchyard/contracts');
    const file = `${world.dataDir}/topology.yaml`;
    writeFileSync(file, stringifyTopology(topology));
    runtime = await startLeadingEmbeddedRuntime(world, 20, {
      topologyFile: file,
      extra: {
        logger: quietLogger,
        leaderElection: { leaseDurationMs: 8000, renewDeadlineMs: 6000, retryPeriodMs: 1000 },
      },
    });
  });

  afterAll(async () => {
    runtime?.sim?.faults.clear();
    await runtime?.close();
    await world?.dispose();
  });

  it('binds every pod exactly once despite latency, 500s, 429s and dropped watches', async () => {
    const sim = runtime.sim!;
    sim.faults.set({
      latencyMs: 10,
      errorRate: 0.1,
      throttleRate: 0.1,
      retryAfterSeconds: 1,
      dropWatchesAfterMs: 1500,
      seed: 7,
    });
    const cluster = runtime.cluster;
    const createWithRetry = async (i: number) => {
      for (;;) {
        try {
          await cluster.pods.create(mixedPod(`faulty-${i}`, i));
          return;
        } catch (error) {
          if ((error as { status?: number }).status === 409) return; // created, answer lost
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < PODS) await createWithRetry(next++);
      }),
    );
    // Cut every open watch stream (abruptly) every 2 s, on top of the lifetime of new ones.
    const cutter = setInterval(() => sim.faults.dropWatches(true), 2000);
    const pods = await boundPods(cluster, 'faulty-', PODS, 90_000, 'every pod bound under faults').finally(() =>
      clearInterval(cutter),
    );
    const injected = { ...sim.faults.injected };
    sim.faults.clear();
    // Bound marks and releases are written in batches: give the last one a moment.
    const allocations = await settledAllocations(world.inventory, PODS, 20_000, 'one bound allocation per pod');
    expectAllocationsMatchPods(pods, allocations);
    expect(runtime.state.overBudget()).toEqual([]);
    expect(injected.errors + injected.throttles).toBeGreaterThan(10);
    expect(injected.droppedWatches).toBeGreaterThan(0);
  }, 150_000);
});
