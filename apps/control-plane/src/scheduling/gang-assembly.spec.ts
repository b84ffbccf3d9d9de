import { GangAssembly, gangUnitKey } from './gang-assembly';
import { translatePod, type PodSchedulingRequest } from './pod-request';
import { catalog, gpuPod } from './test/builders';

function member(name: string, gang: string, index: number, size = 3): PodSchedulingRequest {
  const result = translatePod(
    gpuPod(name, {
      gpus: 8,
      labels: {
        'switchyard.io/gang': gang,
        'switchyard.io/gang-size': String(size),
        'switchyard.io/gang-member': String(index),
      },
    }),
    catalog,
  );
  if (!result.ok) throw new Error(result.rejection.message);
  return result.request;
}

describe('GangAssembly', () => {
  it('a single pod is a unit of its own', () => {
    const g = new GangAssembly();
    const r = translatePod(gpuPod('solo', { gpus: 1 }), catalog);
    if (!r.ok) throw new Error();
    const key = g.add(r.request);
    expect(key).toBe('ml/solo');
    expect(g.unit(key)?.pods.map((p) => p.name)).toEqual(['solo']);
  });

  it('a gang is released only when every member is pending, in member order', () => {
    const g = new GangAssembly();
    const key = gangUnitKey('ml', 'g1');
    g.add(member('m2', 'g1', 2));
    g.add(member('m0', 'g1', 0));
    expect(g.unit(key)).toBeUndefined();
    g.add(member('m1', 'g1', 1));
    expect(g.unit(key)?.pods.map((p) => p.name)).toEqual(['m0', 'm1', 'm2']);
    expect(g.remove('ml/m1')).toBe(key);
    expect(g.unit(key)).toBeUndefined();
  });

  it('counts members already bound (adopted after a restart)', () => {
    const bound = new Map([[gangUnitKey('ml', 'g2'), 2]]);
    const g = new GangAssembly({ boundMembers: (k) => bound.get(k) ?? 0, has: () => false });
    g.add(member('last', 'g2', 2));
    expect(g.unit(gangUnitKey('ml', 'g2'))?.pods).toHaveLength(1);
  });

  it('members placed since they were added count as placed, not as members to decide', () => {
    const placed = new Set<string>();
    const key = gangUnitKey('ml', 'g4');
    const g = new GangAssembly({ boundMembers: () => placed.size, has: (k) => placed.has(k) });
    for (const [i, name] of ['a', 'b', 'c'].entries()) g.add(member(name, 'g4', i));
    placed.add('ml/a').add('ml/b').add('ml/c');
    expect(g.unit(key)).toBeUndefined(); // all placed: nothing to decide
    expect(g.pending(key)).toEqual([]);
    placed.delete('ml/a'); // a member went and was recreated: only it is decided, with the two placed
    g.add(member('a', 'g4', 0));
    expect(g.unit(key)?.pods.map((p) => p.name)).toEqual(['a']);
  });

  it('two pods claiming one member index do not complete a gang', () => {
    const g = new GangAssembly();
    g.add(member('a', 'g3', 0, 2));
    g.add(member('b', 'g3', 0, 2));
    expect(g.unit(gangUnitKey('ml', 'g3'))).toBeUndefined();
  });
});
