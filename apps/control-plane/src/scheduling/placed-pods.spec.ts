import type { PodRequest } from '@switchyard/placement';
import { ClusterState } from '../cluster-state/cluster-state';
import { PlacedPods, type PlacedPodState } from './placed-pods';
import { allocationRow } from './test/builders';
import { rackInventory } from './test/in-memory-ports';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function pod(id: string): PodRequest {
  return { id, cpuMilli: 1000, memoryMiB: 1024, gpuCount: 8, gpuMilli: 1000, wattsPerGpu: 700 };
}

/** A two-pod gang placed in the engine and recorded as the scheduler records it. */
function placedGang() {
  const state = new ClusterState({ logger });
  state.loadInventory({ ...rackInventory(2, 1e6), overrides: [] });
  state.activate();
  const placed = new PlacedPods(state, (key) => (key.startsWith('ml/g') ? 'gang:ml/g' : undefined));
  const unitRequest = { id: 'gang:ml/g', deployment: null, tenant: null, priority: 500, topology: null };
  const result = state.place({ ...unitRequest, pods: [pod('ml/g0'), pod('ml/g1')] });
  if (!result.placed) throw new Error(result.explanation.message);
  for (const placement of result.pods) {
    const key = placement.podId;
    const entry: PlacedPodState = {
      record: allocationRow(`uid-${key}`, { podName: key.slice(3), nodeName: placement.nodeId }),
      replicaId: unitRequest.id,
      request: pod(key),
      placement,
      unitRequest,
    };
    placed.set(key, entry);
  }
  return { state, placed };
}

describe('PlacedPods', () => {
  it('indexes placed pods by gang unit and by engine replica', () => {
    const { placed } = placedGang();
    expect(placed.size).toBe(2);
    expect(placed.boundMembers('gang:ml/g')).toBe(2);
    expect([...placed.replicaMembers('gang:ml/g')].sort()).toEqual(['ml/g0', 'ml/g1']);
    expect(placed.holds('ml/g0', 'uid-ml/g0')).toBe(true);
    expect(placed.holds('ml/g0', 'uid-of-a-recreated-pod')).toBe(false);
  });

  it('dropping one gang member releases the replica and re-adopts the others one by one', () => {
    const { state, placed } = placedGang();
    expect(placed.drop('ml/g0')?.record.podUid).toBe('uid-ml/g0');
    expect(placed.has('ml/g0')).toBe(false);
    expect(placed.boundMembers('gang:ml/g')).toBe(1);
    expect(placed.get('ml/g1')?.replicaId).toBe('ml/g1');
    expect(placed.replicaMembers('gang:ml/g')).toEqual([]);
    expect(state.replicaOfPod('ml/g0')).toBeUndefined();
    expect(state.replicaOfPod('ml/g1')).toBe('ml/g1'); // still in the engine, as its own replica
    expect(placed.drop('ml/g0')).toBeUndefined();
    placed.drop('ml/g1');
    expect(placed.size).toBe(0);
    expect(placed.boundMembers('gang:ml/g')).toBe(0);
    expect(state.replicaOfPod('ml/g1')).toBeUndefined();
  });
});
