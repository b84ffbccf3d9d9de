/**
 * ScopeRepository.update on both backends: the change and its audit event commit together, a
 * refused value (database CHECK or a value the CHECK cannot judge) leaves both untouched, and
 * the scope-row cache never serves the old values after an update.
 */
import fc from 'fast-check';
import { generateTopology } from '@switchyard/contracts';
import { ConstraintViolationError, Inventory, NotFoundError } from '@switchyard/inventory';
import { snapshotDatabase } from '../http/support/db-snapshot';
import { BACKENDS, type TestDatabase } from '../support/database';

const operator = { actor: 'test:operator' };

describe.each(BACKENDS)('ScopeRepository.update on $kind', ({ open }) => {
  let db: TestDatabase;
  let inventory: Inventory;
  let rackId: string;

  beforeAll(async () => {
    db = await open();
    inventory = new Inventory(db.database);
    await inventory.topology.import(generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 2 }), operator);
    rackId = (await inventory.scopes.summaries()).find((s) => s.kind === 'rack')!.id;
  });
  afterAll(() => db.dispose());

  it('writes the change and one audit event with the actor and the values replaced; reads see it at once', async () => {
    const before = await inventory.scopes.get(rackId); // fills the scope-row cache
    const record = await inventory.scopes.update(
      rackId,
      { capacityWatts: 77_000, oversubscriptionRatio: 1.25 },
      operator,
    );
    expect(record).toMatchObject({ id: rackId, path: before.path, capacityWatts: 77_000, oversubscriptionRatio: 1.25 });
    const after = await inventory.scopes.get(rackId);
    expect(after).toMatchObject({ capacityWatts: 77_000, oversubscriptionRatio: 1.25, effectiveBudgetWatts: 96_250 });
    const events = await inventory.audit.list({ action: 'scope.update' });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      actor: 'test:operator',
      target: `scope/${rackId}`,
      details: {
        path: before.path,
        before: { capacityWatts: before.capacityWatts, oversubscriptionRatio: before.oversubscriptionRatio },
        changes: { capacityWatts: 77_000, oversubscriptionRatio: 1.25 },
      },
    });

    await inventory.scopes.update(rackId, { capacityWatts: 50_000 }, operator);
    expect(await inventory.scopes.get(rackId)).toMatchObject({ capacityWatts: 50_000, oversubscriptionRatio: 1.25 });
  });

  it('an unknown or malformed id is a NotFoundError and writes nothing', async () => {
    const snapshot = await snapshotDatabase(db.database);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'rack-1']) {
      await expect(inventory.scopes.update(id, { capacityWatts: 1 }, operator)).rejects.toBeInstanceOf(NotFoundError);
    }
    expect(await snapshotDatabase(db.database)).toEqual(snapshot);
  });

  it.each([
    [{ capacityWatts: 0 }, 'capacityWatts'],
    [{ capacityWatts: -5 }, 'capacityWatts'],
    [{ capacityWatts: 1.5 }, 'capacityWatts'],
    [{ capacityWatts: 2 ** 31 }, 'capacityWatts'],
    [{ oversubscriptionRatio: 0.999 }, 'oversubscriptionRatio'],
    [{ oversubscriptionRatio: Number.NaN }, 'oversubscriptionRatio'],
    [{ oversubscriptionRatio: Number.POSITIVE_INFINITY }, 'oversubscriptionRatio'],
    [{ capacityWatts: 10_000, oversubscriptionRatio: 0.5 }, 'oversubscriptionRatio'],
  ])('%j is a ConstraintViolationError naming %s; nothing is written', async (changes, field) => {
    const snapshot = await snapshotDatabase(db.database);
    const error = await inventory.scopes.update(rackId, changes, operator).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConstraintViolationError);
    expect((error as ConstraintViolationError).field).toBe(field);
    expect(await snapshotDatabase(db.database)).toEqual(snapshot);
  });

  it('property: reads after any sequence of updates show the last accepted values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record(
            {
              capacityWatts: fc.integer({ min: -10, max: 2_000_000 }),
              oversubscriptionRatio: fc.double({ min: 0.5, max: 3, noNaN: true }),
            },
            { requiredKeys: [] },
          ),
          { minLength: 1, maxLength: 5 },
        ),
        async (updates) => {
          let expected = await inventory.scopes.get(rackId);
          for (const changes of updates) {
            const accepted = await inventory.scopes.update(rackId, changes, operator).then(
              () => true,
              (error: unknown) => {
                if (!(error instanceof ConstraintViolationError)) throw error;
                return false;
              },
            );
            const valid =
              (changes.capacityWatts === undefined || changes.capacityWatts > 0) &&
              (changes.oversubscriptionRatio === undefined || changes.oversubscriptionRatio >= 1);
            expect(accepted).toBe(valid);
            if (accepted) expected = { ...expected, ...changes };
            const now = await inventory.scopes.get(rackId);
            expect(now.capacityWatts).toBe(expected.capacityWatts);
            expect(now.oversubscriptionRatio).toBe(expected.oversubscriptionRatio);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
