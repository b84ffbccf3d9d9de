import { PlacementInputError } from '../errors';
import type { ExistingPlacement } from '../model';
import type { ValidReplica } from '../request';
import { toMilliwatts } from '../topology';
import type { PlacedPod } from './cluster-state';
import type { EngineCore } from './engine-core';

/**
 * Records a placement decided elsewhere (loaded from the database, or a snapshot): every pod
 * must name a node and GPUs of the right product with the share free, and CPU and memory must
 * fit; power may be over budget (it is reported, not refused). Everything is checked against
 * a scratch copy of the free state first, so a refusal changes nothing.
 */
export function adoptPlacement(core: EngineCore, existing: ExistingPlacement, field: string): void {
  if (!existing || typeof existing !== 'object')
    throw new PlacementInputError('invalid-placement', field, 'must be an object');
  let v: ValidReplica;
  try {
    v = core.validateNew(existing.replica);
  } catch (e) {
    if (e instanceof PlacementInputError)
      throw new PlacementInputError(e.code, `${field}.replica.${e.field}`, e.message);
    throw e;
  }
  if (!Array.isArray(existing.pods) || existing.pods.length !== v.pods.length)
    throw new PlacementInputError('invalid-placement', `${field}.pods`, 'needs one placement per pod of the replica');
  const st = core.st;
  const topo = st.topology;
  const scratch = new Map<number, { gpu: Int32Array; cpu: number; mem: number }>();
  const placed: PlacedPod[] = [];
  existing.pods.forEach((pp, i) => {
    const f = `${field}.pods[${i}]`;
    const pod = v.pods.find((p) => p.request.id === pp?.podId);
    if (!pod)
      throw new PlacementInputError('invalid-placement', `${f}.podId`, `not a pod of replica "${v.request.id}"`);
    const n = topo.nodeIndex.get(pp.nodeId);
    if (n === undefined)
      throw new PlacementInputError('unknown-node', `${f}.nodeId`, `unknown node "${String(pp.nodeId)}"`);
    let free = scratch.get(n);
    if (!free)
      scratch.set(
        n,
        (free = { gpu: Int32Array.from(st.nodeGpuFree[n]), cpu: st.nodeCpuFree[n], mem: st.nodeMemFree[n] }),
      );
    const d = pod.demand;
    const gpus = pp.gpuIndices;
    const node = topo.nodes[n];
    if (
      !Array.isArray(gpus) ||
      gpus.length !== (d.gpuMilli === 0 ? 0 : d.gpuCount) ||
      new Set(gpus).size !== gpus.length
    )
      throw new PlacementInputError('invalid-placement', `${f}.gpuIndices`, `needs ${d.gpuCount} distinct GPU indices`);
    if (d.gpuCount > 0 && (node.gpuProduct === null || (pod.products !== null && !pod.products.has(node.gpuProduct))))
      throw new PlacementInputError('invalid-placement', `${f}.nodeId`, 'node has no allowed GPU product');
    for (const g of gpus) {
      if (!Number.isInteger(g) || g < 0 || g >= free.gpu.length)
        throw new PlacementInputError('invalid-placement', `${f}.gpuIndices`, `no GPU ${g} on node ${node.id}`);
      if (free.gpu[g] < d.gpuMilli)
        throw new PlacementInputError(
          'invalid-placement',
          `${f}.gpuIndices`,
          `GPU ${g} on node ${node.id} has only ${free.gpu[g]} milli free`,
        );
      free.gpu[g] -= d.gpuMilli;
    }
    free.cpu -= d.cpuMilli;
    free.mem -= d.memoryMiB;
    if (free.cpu < 0 || free.mem < 0)
      throw new PlacementInputError('invalid-placement', `${f}.nodeId`, `not enough CPU or memory on node ${node.id}`);
    const watts = pp.predictedWatts;
    if (typeof watts !== 'number' || !Number.isFinite(watts) || watts < 0)
      throw new PlacementInputError('invalid-value', `${f}.predictedWatts`, 'must be a finite number >= 0');
    const limit = pp.powerLimitWatts ?? null;
    if (limit !== null && (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 0))
      throw new PlacementInputError('invalid-value', `${f}.powerLimitWatts`, 'must be a finite number >= 0 or null');
    placed.push({
      podId: pod.request.id,
      replicaId: v.request.id,
      node: n,
      gpus: [...gpus],
      milli: d.gpuMilli,
      cpuMilli: d.cpuMilli,
      memoryMiB: d.memoryMiB,
      milliwatts: toMilliwatts(watts),
      powerLimitWatts: limit,
    });
  });
  if (new Set(placed.map((p) => p.podId)).size !== placed.length)
    throw new PlacementInputError('invalid-placement', `${field}.pods`, 'a pod is placed twice');
  for (const p of placed) st.apply(p, v, +1);
  st.record(v, placed);
}
