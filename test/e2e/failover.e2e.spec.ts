/**
 * Two control-plane replicas (child processes) against one embedded API (a child process)
 * and one PostgreSQL schema: only the leader schedules; `kill -9` the leader in the middle of
 * placing 2,000 pods; the other takes over, and afterwards every pod is bound exactly once,
 * every bound pod has exactly the allocation its annotations name, and no GPU share or power
 * budget is exceeded.
 */
import { SwitchyardCluster, type PodObject } from '@switchyard/kube';
import { PlacementEngine } from '@switchyard/placement';
import { parse, stringify } from 'yaml';
import { loadClusterInventory } from '../../apps/control-plane/src/kubernetes/inventory-ledger';
import { applyModelDeploymentCrd } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { TEST_DATABASE_URL } from '../support/database';
import { eventually, generateTopology, openWorld, type E2eWorld } from './e2e-support';
import { startChild, type Child } from './processes/child-processes';

const PODS = 2000;
/** The default timings (15 s lease, 10 s renew deadline, 2 s retry), as the issue asks: takeover within 15 s. */
const LEASE = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };
// 2 halls x 2 rows x 8 racks x 4 nodes = 128 nodes, 1,024 GPUs; 2,000 half-GPU pods nearly fill them.
const SHAPE = { halls: 2, rowsPerHall: 2, racksPerRow: 8 };

function plainHttp(kubeconfig: string): string {
  const doc = parse(kubeconfig) as { clusters: { cluster: Record<string, unknown> }[] };
  for (const c of doc.clusters)
    if (String(c.cluster.server).startsWith('http:')) c.cluster['insecure-skip-tls-verify'] = true;
  return stringify(doc);
}

describe('leader failover while placing pods (kill -9)', () => {
  let world: E2eWorld;
  let sim: Child;
  let kubeconfig: string;
  const replicas: Child[] = [];

  beforeAll(async () => {
    world = await openWorld(generateTopology('demo', SHAPE), '(generated)');
    sim = startChild('sim-process.ts', [JSON.stringify(SHAPE)]);
    kubeconfig = plainHttp(
      (JSON.parse(await sim.waitFor((l) => l.startsWith('{'))) as { kubeconfig: string }).kubeconfig,
    );
    await applyModelDeploymentCrd(SwitchyardCluster.connect({ kind: 'yaml', yaml: kubeconfig }));
    for (const id of ['replica-a', 'replica-b']) {
      const child = startChild(
        'control-plane-process.ts',
        [],
        {
          KUBECONFIG_YAML: kubeconfig,
          DATABASE_URL: TEST_DATABASE_URL,
          DATABASE_SCHEMA: world.db.location,
          REPLICA_ID: id,
          LEASE_JSON: JSON.stringify(LEASE),
        },
        (line) =>
          line.includes('stepping down') || line.includes('failed') ? console.warn(`${id}: ${line}`) : undefined,
      );
      replicas.push(child);
      await child.waitFor((l) => l === 'ready', 60_000);
    }
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) await r.kill('SIGKILL');
    await sim?.kill();
    await world?.dispose();
  });

  it('only the leader schedules; the other finishes after the leader is killed; nothing is allocated twice', async () => {
    const leader = await Promise.race(replicas.map((r) => r.waitFor((l) => l === 'leader', 30_000).then(() => r)));
    const follower = replicas.find((r) => r !== leader) as Child;
    const cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: kubeconfig });

    let next = 0;
    const creating = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < PODS) {
          const i = next++;
          await cluster.pods.create({
            metadata: {
              name: `load-${i}`,
              namespace: 'default',
              annotations: { 'switchyard.io/gpu-milli': '500', 'switchyard.io/watts-per-gpu': '600' },
            },
            spec: {
              schedulerName: 'switchyard',
              containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1', memory: '1Gi' } } }],
            },
          } as PodObject);
        }
      }),
    );
    const bound = async () => (await world.inventory.allocations.all()).length;
    await eventually(async () => (await bound()) >= 400, 90_000, '400 pods placed by the first leader');
    expect(follower.lines).not.toContain('leader');
    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    await follower.waitFor((l) => l === 'leader', 30_000); // fails the test if the follower never takes over
    const takeoverMs = Date.now() - killedAt;
    await creating;

    const pods = await eventually(
      async () => {
        const list = await cluster.connection.request<{ items: PodObject[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/default/pods',
        });
        const mine = list.items.filter((p) => p.metadata.name.startsWith('load-'));
        return mine.length === PODS && mine.every((p) => p.spec.nodeName) ? mine : undefined;
      },
      150_000,
      'every pod bound',
    );
    const allocations = await eventually(
      async () => {
        const rows = await world.inventory.allocations.all();
        return rows.length === PODS ? rows : undefined;
      },
      20_000,
      'one allocation per pod',
    );
    const byUid = new Map(allocations.map((a) => [a.podUid, a]));
    expect(byUid.size).toBe(PODS);
    for (const pod of pods) {
      const a = byUid.get(pod.metadata.uid as string);
      expect({ pod: pod.metadata.name, node: a?.nodeName }).toEqual({
        pod: pod.metadata.name,
        node: pod.spec.nodeName,
      });
      const annotated = (pod.metadata.annotations?.['switchyard.io/gpus'] ?? '')
        .split(',')
        .map((e) => Number(e.split('=')[0]));
      expect(annotated).toEqual(a?.gpus.map((g) => g.index));
    }
    const share = new Map<string, number>();
    for (const a of allocations) for (const g of a.gpus) share.set(g.uuid, (share.get(g.uuid) ?? 0) + g.shareMilli);
    expect(Math.max(...share.values())).toBeLessThanOrEqual(1000);
    const inventory = await loadClusterInventory(world.inventory);
    const engine = new PlacementEngine(inventory.cluster, {
      placements: allocations.map((a) => ({
        replica: {
          id: a.podUid,
          pods: [
            { id: a.podUid, cpuMilli: 0, memoryMiB: 0, gpuCount: 1, gpuMilli: a.gpus[0].shareMilli, wattsPerGpu: 0 },
          ],
        },
        pods: [
          {
            podId: a.podUid,
            nodeId: a.nodeName,
            gpuIndices: a.gpus.map((g) => g.index),
            gpuMilli: a.gpus[0].shareMilli,
            powerLimitWatts: null,
            predictedWatts: a.predictedWatts,
          },
        ],
      })),
    });
    expect(engine.overBudget()).toEqual([]);
    console.log(
      `failover: the follower led ${takeoverMs} ms after kill -9 (lease ${LEASE.leaseDurationMs} ms); ${PODS} pods bound once each`,
    );
  }, 300_000);
});
