import fc from 'fast-check';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patches';

const json = fc.jsonValue({ maxDepth: 3 });
const object = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'spec', 'x'), json, { maxKeys: 4 });

describe('JSON merge patch (RFC 7386)', () => {
  it('is idempotent and never mutates its inputs', () => {
    fc.assert(
      fc.property(object, object, (target, patch) => {
        const before = JSON.stringify([target, patch]);
        const once = applyMergePatch(target, patch);
        expect(JSON.stringify(applyMergePatch(once, patch))).toBe(JSON.stringify(once));
        expect(JSON.stringify([target, patch])).toBe(before);
      }),
    );
  });

  it('deletes with null and replaces lists', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { d: null, e: 4 }, l: [3] })).toEqual({
      b: { c: 2, e: 4 },
      l: [3],
    });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('adding then removing a key restores the document', () => {
    fc.assert(
      fc.property(object, json, (doc, value) => {
        const path = '/fresh~1key';
        const added = applyJsonPatch(doc, [{ op: 'add', path, value }]) as Record<string, unknown>;
        // Compared as JSON: the documents travel as JSON, where -0 and 0 are the same.
        expect(JSON.stringify(added['fresh/key'])).toBe(JSON.stringify(value));
        expect(JSON.stringify(applyJsonPatch(added, [{ op: 'remove', path }]))).toBe(JSON.stringify(doc));
      }),
    );
  });

  it('applies all operations or none', () => {
    const doc = { a: [1, 2], b: 'x' };
    expect(() =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/b', value: 'y' },
        { op: 'test', path: '/b', value: 'x' },
      ]),
    ).toThrow(/testing value/);
    expect(doc).toEqual({ a: [1, 2], b: 'x' });
    expect(
      applyJsonPatch(doc, [
        { op: 'add', path: '/a/-', value: 3 },
        { op: 'move', from: '/b', path: '/c' },
        { op: 'copy', from: '/c', path: '/d' },
      ]),
    ).toEqual({ a: [1, 2, 3], c: 'x', d: 'x' });
  });
});

describe('strategic merge patch (the subset kubectl sends)', () => {
  const pod = {
    metadata: { finalizers: ['a'] },
    spec: {
      containers: [
        { name: 'main', image: 'i:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 's:1' },
      ],
      tolerations: [{ key: 'x' }],
    },
  };

  it('merges containers, ports and env by their keys and replaces lists without a key', () => {
    const patched = applyStrategicMergePatch(pod, {
      metadata: { finalizers: ['b'] },
      spec: {
        '$setElementOrder/containers': [{ name: 'main' }, { name: 'side' }],
        containers: [{ name: 'main', ports: [{ containerPort: 443 }], env: [{ name: 'A', value: '2' }] }],
        tolerations: [{ key: 'y' }],
      },
    }) as typeof pod;
    expect(patched.metadata.finalizers).toEqual(['a', 'b']);
    expect(patched.spec.containers[0]).toEqual({
      name: 'main',
      image: 'i:1',
      ports: [{ containerPort: 80 }, { containerPort: 443 }],
      env: [{ name: 'A', value: '2' }],
    });
    expect(patched.spec.containers[1]).toEqual({ name: 'side', image: 's:1' });
    expect(patched.spec.tolerations).toEqual([{ key: 'y' }]);
  });

  it('honours $patch delete and replace, $retainKeys and $deleteFromPrimitiveList', () => {
    const patched = applyStrategicMergePatch(pod, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        containers: [
          { name: 'side', $patch: 'delete' },
          { name: 'main', $retainKeys: ['name', 'image'], image: 'i:2' },
        ],
      },
    } as never);
    expect(patched).toEqual({
      metadata: { finalizers: [] },
      spec: { containers: [{ name: 'main', image: 'i:2' }], tolerations: [{ key: 'x' }] },
    });
    expect(applyStrategicMergePatch(pod, { spec: { $patch: 'replace', containers: [] } })).toEqual({
      metadata: pod.metadata,
      spec: { containers: [] },
    });
  });
});
