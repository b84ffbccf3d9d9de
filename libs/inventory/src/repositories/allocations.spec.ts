/**
 * Batched allocation writes (one statement per scheduling cycle) against both real backends:
 * every gang all or nothing, a gang the database refuses leaves the rest of its batch
 * committed, and the database's own invariants (share <= 1000 per GPU, one allocation per pod)
 * decide what is refused.
 */
import { generateTopology } from '@switchyard/contracts';
import { ConflictError, ConstraintViolationError, Inventory, NotFoundError, type AllocationInput } from '../index';
import { BACKENDS, openWithTopology, type TestDatabase } from '../../../../test/support/database';

// 1 hall x 1 row x 2 racks x 2 nodes of 4 GPUs.
const topology = generateTopology('demo', {
  halls: 1,
  rowsPerHall: 1,
  racksPerRow: 2,
  nodesPerRack: 2,
  gpusPerNode: 4,
});

describe.each(BACKENDS)('batched allocations on $kind', ({ open }) => {
  let db: TestDatabase;
  let inventory: Inventory;
  let nodes: string[];

  beforeAll(async () => {
    ({ db, inventory, nodes } = await openWithTopology(open, topology));
  });
  afterAll(() => db.dispose());
  afterEach(async () => {
    const all = await inventory.allocations.all();
    await inventory.allocations.releaseMany(all.map((a) => a.podUid));
  });

  const pod = (uid: string, node: string, gpus: [number, number][], extra: Partial<AllocationInput> = {}) => ({
    podUid: uid,
    podNamespace: 'ml',
    podName: uid,
    nodeName: node,
    gpus: gpus.map(([index, shareMilli]) => ({ index, shareMilli })),
    predictedWatts: 100 * gpus.length,
    ...extra,
  });

  async function milliOf(node: string): Promise<number[]> {
    return (await inventory.nodes.get(node)).gpus.map((g) => g.allocatedMilli);
  }

  it('commits a batch of pods and gangs with their shares, priorities and ids', async () => {
    const outcomes = await inventory.allocations.createGangs([
      [pod('a', nodes[0], [[0, 1000]], { priority: 'best_effort', powerLimitWatts: 450 })],
      [pod('g-0', nodes[1], [[0, 1000]]), pod('g-1', nodes[2], [[0, 1000]])],
      [pod('f1', nodes[0], [[1, 250]])],
      [pod('f2', nodes[0], [[1, 500]])],
      [pod('cpu', nodes[3], [])],
    ]);
    expect(outcomes.map((o) => o.committed)).toEqual([true, true, true, true, true]);
    expect(outcomes[1].committed && outcomes[1].ids).toHaveLength(2);
    const all = await inventory.allocations.all();
    expect(all.map((a) => a.podUid).sort()).toEqual(['a', 'cpu', 'f1', 'f2', 'g-0', 'g-1']);
    const a = all.find((x) => x.podUid === 'a');
    // Stored with the database's spelling of the enum value, as createGang stores it.
    expect(String(a?.priority)).toBe('best-effort');
    expect(a).toMatchObject({ nodeName: nodes[0], powerLimitWatts: 450, state: 'reserved' });
    expect(outcomes[0].committed && outcomes[0].ids).toEqual([a?.id]);
    expect(await milliOf(nodes[0])).toEqual([1000, 750, 0, 0]);
    expect(await milliOf(nodes[1])).toEqual([1000, 0, 0, 0]);
  });

  it('refuses only the gangs at fault: the others of the batch commit, a refused gang leaves none of its pods', async () => {
    await inventory.allocations.createGangs([
      [pod('blocker', nodes[2], [[3, 500]])],
      [pod('taken', nodes[3], [[3, 100]])],
    ]);
    const outcomes = await inventory.allocations.createGangs([
      [pod('ok-1', nodes[0], [[0, 1000]])],
      // The second member over-shares GPU 3 of nodes[2] (500 + 600 > 1000): the first member must not stay.
      [pod('gang-0', nodes[1], [[2, 1000]]), pod('gang-1', nodes[2], [[3, 600]])],
      [pod('ok-2', nodes[0], [[1, 500]])],
      [pod('taken', nodes[3], [[0, 100]])],
      [pod('no-node', 'no-such-node', [[0, 100]])],
      [pod('no-gpu', nodes[3], [[9, 100]])],
      [pod('bad-share', nodes[3], [[1, 0]])],
      [pod('ok-gang-0', nodes[1], [[3, 500]]), pod('ok-gang-1', nodes[2], [[3, 500]])],
    ]);
    expect(outcomes.map((o) => o.committed)).toEqual([true, false, true, false, false, false, false, true]);
    const error = (i: number) => (outcomes[i].committed ? undefined : outcomes[i].error);
    expect(error(1)).toBeInstanceOf(ConflictError);
    expect(error(1)).toMatchObject({ reason: 'gpu-share-exceeded' });
    expect(error(3)).toMatchObject({ reason: 'pod-already-allocated' });
    expect(error(4)).toBeInstanceOf(NotFoundError);
    expect(error(5)).toBeInstanceOf(NotFoundError);
    expect(error(6)).toBeInstanceOf(ConstraintViolationError);
    const uids = (await inventory.allocations.all()).map((a) => a.podUid).sort();
    expect(uids).toEqual(['blocker', 'ok-1', 'ok-2', 'ok-gang-0', 'ok-gang-1', 'taken']);
    expect(await milliOf(nodes[1])).toEqual([0, 0, 0, 500]);
    expect(await milliOf(nodes[2])).toEqual([0, 0, 0, 1000]);
    // The already-allocated pod keeps its first allocation.
    expect((await inventory.allocations.findByPod('taken'))?.gpus).toEqual([
      expect.objectContaining({ index: 3, shareMilli: 100 }),
    ]);
  });

  it('lets the database decide between gangs of one batch that want the same GPU', async () => {
    const outcomes = await inventory.allocations.createGangs([
      [pod('first', nodes[0], [[2, 700]])],
      [pod('second', nodes[0], [[2, 700]])],
      [pod('third', nodes[0], [[2, 300]])],
    ]);
    expect(outcomes.map((o) => o.committed)).toEqual([true, false, true]);
    expect(await milliOf(nodes[0])).toEqual([0, 0, 1000, 0]);
  });

  it('marks many bound and releases many in one statement each, skipping pods without an allocation', async () => {
    await inventory.allocations.createGangs([
      [pod('p1', nodes[0], [[0, 1000]])],
      [pod('p2', nodes[0], [[1, 1000]])],
      [pod('p3', nodes[1], [[0, 250]])],
    ]);
    expect(await inventory.allocations.markBoundMany(['p1', 'p2', 'missing'])).toBe(2);
    expect(await inventory.allocations.markBoundMany(['p1', 'p3'])).toBe(1); // p1 already bound
    const states = Object.fromEntries((await inventory.allocations.all()).map((a) => [a.podUid, a.state]));
    expect(states).toEqual({ p1: 'bound', p2: 'bound', p3: 'bound' });
    expect((await inventory.allocations.findByPod('p1'))?.boundAt).toBeInstanceOf(Date);

    expect((await inventory.allocations.releaseMany(['p1', 'p3', 'missing'])).sort()).toEqual(['p1', 'p3']);
    expect(await milliOf(nodes[0])).toEqual([0, 1000, 0, 0]);
    expect(await milliOf(nodes[1])).toEqual([0, 0, 0, 0]);
    expect((await inventory.allocations.all()).map((a) => a.podUid)).toEqual(['p2']);
    expect(await inventory.allocations.markBoundMany([])).toBe(0);
    expect(await inventory.allocations.releaseMany([])).toEqual([]);
  });
});
