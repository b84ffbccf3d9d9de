import fc from 'fast-check';
import { KubeApiError } from './api-error';
import { ObjectStore, type StoreEvent } from './object-store';
import type { KubeObject } from './resource-type';

type Op = { kind: 'put'; name: string; value: number } | { kind: 'remove'; name: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), name: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.nat(5) }),
  fc.record({ kind: fc.constant('remove' as const), name: fc.constantFrom('a', 'b', 'c', 'd') }),
);

const snapshot = (store: ObjectStore): Record<string, unknown> =>
  Object.fromEntries(store.list('configmaps').map((o) => [o.metadata.name, (o.data as { v: number }).v]));

function apply(state: Record<string, unknown>, e: StoreEvent): void {
  if (e.type === 'DELETED') delete state[e.object.metadata.name as string];
  else state[e.object.metadata.name as string] = (e.object.data as { v: number }).v;
}

describe('ObjectStore history', () => {
  it('replaying the changes after any kept version onto the state at that version gives the current state', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 30 }), (ops, historyLimit) => {
        const store = new ObjectStore(historyLimit);
        const states = new Map<number, Record<string, unknown>>([[0, {}]]);
        for (const o of ops) {
          if (o.kind === 'put')
            store.put('configmaps', {
              metadata: { name: o.name, namespace: 'ns' },
              data: { v: o.value },
            } as KubeObject);
          else store.remove('configmaps', 'ns', o.name);
          states.set(store.resourceVersion, snapshot(store));
        }
        const final = snapshot(store);
        for (const [revision, state] of states) {
          if (revision < store.oldestWatchableRevision) {
            expect(() => store.changesSince('configmaps', revision)).toThrow(KubeApiError);
            continue;
          }
          const replayed = { ...state };
          const changes = store.changesSince('configmaps', revision);
          changes.forEach(
            (e, i) => i === 0 || expect(e.resourceVersion).toBeGreaterThan(changes[i - 1].resourceVersion),
          );
          for (const e of changes) apply(replayed, e);
          expect(replayed).toEqual(final);
        }
      }),
    );
  });

  it('answers 410 Expired for a version older than the history after a compaction', () => {
    const store = new ObjectStore();
    store.put('pods', { metadata: { name: 'p', namespace: 'ns' } });
    store.compact();
    store.put('pods', { metadata: { name: 'q', namespace: 'ns' } });
    expect(store.changesSince('pods', 1).map((e) => e.object.metadata.name)).toEqual(['q']);
    try {
      store.changesSince('pods', 0);
      throw new Error('expected 410');
    } catch (e) {
      expect(e).toBeInstanceOf(KubeApiError);
      expect((e as KubeApiError).toStatus()).toMatchObject({
        code: 410,
        reason: 'Expired',
        message: 'too old resource version: 0 (2)',
      });
    }
  });
});

describe('ObjectStore field index', () => {
  type PodOp =
    { kind: 'put'; name: string; ns: string; node: string | null } | { kind: 'remove'; name: string; ns: string };
  const podOp: fc.Arbitrary<PodOp> = fc.oneof(
    fc.record({
      kind: fc.constant('put' as const),
      name: fc.constantFrom('a', 'b', 'c', 'd'),
      ns: fc.constantFrom('x', 'y'),
      node: fc.constantFrom(null, 'n1', 'n2'),
    }),
    fc.record({
      kind: fc.constant('remove' as const),
      name: fc.constantFrom('a', 'b', 'c', 'd'),
      ns: fc.constantFrom('x', 'y'),
    }),
  );

  it('lists pods by spec.nodeName exactly as filtering every pod would, through binds and deletions', () => {
    fc.assert(
      fc.property(fc.array(podOp, { maxLength: 40 }), (ops) => {
        const store = new ObjectStore();
        for (const o of ops) {
          if (o.kind === 'put')
            store.put('pods', {
              metadata: { name: o.name, namespace: o.ns },
              spec:
                o.node === null ? { schedulerName: 'switchyard' } : { nodeName: o.node, schedulerName: 'switchyard' },
            } as KubeObject);
          else store.remove('pods', o.ns, o.name);
        }
        const names = (objects: KubeObject[] | undefined) =>
          (objects ?? []).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
        for (const node of ['', 'n1', 'n2', 'n3'])
          for (const ns of [undefined, 'x', 'y']) {
            const expected = store
              .list('pods', ns)
              .filter((p) => ((p.spec as { nodeName?: string }).nodeName ?? '') === node);
            expect(names(store.listByField('pods', 'spec.nodeName', node, ns))).toEqual(names(expected));
          }
        expect(names(store.listByField('pods', 'spec.schedulerName', 'switchyard'))).toEqual(names(store.list('pods')));
        expect(store.listByField('pods', 'status.phase', 'Running')).toBeUndefined();
        expect(store.listByField('configmaps', 'spec.nodeName', 'n1')).toBeUndefined();
      }),
    );
  });
});
