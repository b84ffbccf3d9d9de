/**
 * Two control-plane replicas (child processes) against one embedded API (a child process)
 * and one PostgreSQL schema: only the leader schedules; `kill -9` the leader in the middle of
 * placing 2,000 pods; the other takes over, and afterwards every pod is bound exactly once,
 * every bound pod has exactly the allocation its annotations name, and no GPU share or power
 * budget is exceeded. The takeover is asserted where it is a semantic bound (the new leader
 * acquired the lease no earlier than a whole lease duration after the dead leader's last
 * renewal); the times from the kill to the new leader holding the lease, rebuilding and binding
 * its first pod are printed (speed belongs in bench/RESULTS.md, not in assertions).
 */
import { SwitchyardCluster, type LeaseObject, type PodObject } from '@switchyard/kube';
import { PlacementEngine } from '@switchyard/placement';
import { parse, stringify } from 'yaml';
import { loadClusterInventory } from '../../apps/control-plane/src/cluster-state/inventory-loader';
import { applyModelDeploymentCrd } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { TEST_DATABASE_URL } from '../support/database';
import {
  boundPods,
  eventually,
  expectAllocationsMatchPods,
  generateTopology,
  openWorld,
  settledAllocations,
  type E2eWorld,
} from './e2e-support';
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
  const replicaIds = new Map<Child, string>();

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
        // A replica writes only warnings and errors to stderr (and, with REPLICA_TRACE=1, its info lines).
        (line) => console.warn(`${id}: ${line}`),
      );
      replicas.push(child);
      replicaIds.set(child, id);
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
    // Every version of the Lease, and the moment each pod was first seen bound, as they happen.
    const leaseVersions: LeaseObject[] = [];
    const leaseWatch = cluster.informer<LeaseObject>('coordination.k8s.io/v1', 'leases', {
      namespace: 'default',
      fieldSelector: 'metadata.name=switchyard-scheduler',
    });
    leaseWatch.addHandlers({ onAdd: (l) => void leaseVersions.push(l), onUpdate: (l) => void leaseVersions.push(l) });
    const bindTimes: number[] = [];
    const podWatch = cluster.podInformer({ namespace: 'default' });
    podWatch.addHandlers({
      onUpdate: (pod, previous) => {
        if (pod.spec.nodeName && !previous.spec.nodeName) bindTimes.push(Date.now());
      },
    });
    await Promise.all([leaseWatch.start(), podWatch.start()]);

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
    const leadingAt = Date.now();
    await follower.waitFor((l) => l === 'rebuilt', 30_000);
    const rebuiltAt = Date.now();
    await creating;

    const pods = await boundPods(cluster, 'load-', PODS, 150_000, 'every pod bound');
    const allocations = await settledAllocations(world.inventory, PODS, 20_000, 'one allocation per pod', true);
    expectAllocationsMatchPods(pods, allocations);
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

    // Semantics of the takeover: the new holder acquired the lease only after the record it
    // last saw from the dead leader had stood unchanged for a whole lease duration.
    await Promise.all([leaseWatch.stop(), podWatch.stop()]);
    const deadId = replicaIds.get(leader) as string;
    const newId = replicaIds.get(follower) as string;
    const lastRenewal = leaseVersions.filter((l) => l.spec?.holderIdentity === deadId).at(-1);
    const takeover = leaseVersions.find((l) => l.spec?.holderIdentity === newId);
    expect(lastRenewal && takeover).toBeTruthy();
    const lastRenewalAt = Date.parse(String(lastRenewal?.spec?.renewTime));
    const acquiredAt = Date.parse(String(takeover?.spec?.acquireTime));
    expect(acquiredAt - lastRenewalAt).toBeGreaterThanOrEqual(LEASE.leaseDurationMs);
    expect(takeover?.spec?.leaseTransitions).toBe((lastRenewal?.spec?.leaseTransitions ?? 0) + 1);
    const firstBindAt = bindTimes.find((t) => t >= leadingAt);
    expect(firstBindAt).toBeDefined();
    console.log(
      [
        `failover (lease ${LEASE.leaseDurationMs} ms, renew deadline ${LEASE.renewDeadlineMs} ms, retry ${LEASE.retryPeriodMs} ms):`,
        `dead leader's last renewal ${killedAt - lastRenewalAt} ms before kill -9;`,
        `new leader acquired ${acquiredAt - killedAt} ms after the kill (${acquiredAt - lastRenewalAt} ms after that renewal),`,
        `saw itself leading at ${leadingAt - killedAt} ms, rebuilt at ${rebuiltAt - killedAt} ms,`,
        `first bind at ${(firstBindAt as number) - killedAt} ms; ${PODS} pods bound once each`,
      ].join(' '),
    );
  }, 300_000);
});
