import { problemSchema, scopeDetailSchema, scopeTreeSchema } from '@switchyard/contracts';
import { snapshotDatabase } from './support/db-snapshot';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
let rackId: string;
let siteId: string;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: smallTopology() });
  const summaries = await t.inventory.scopes.summaries();
  siteId = summaries.find((s) => s.kind === 'site')!.id;
  rackId = summaries.find((s) => s.kind === 'rack')!.id;
});
afterAll(() => t.close());

const url = (id: string) => `/api/v1/scopes/${id}`;

describe('PATCH /api/v1/scopes/:id', () => {
  it('changes capacity and oversubscription, answers the new effective budget, and audits the actor', async () => {
    const before = scopeDetailSchema.parse((await t.http.get(url(rackId)).set(t.auth('viewer')).expect(200)).body);
    // Read the tree first, so that the coalesced campus read has something to serve stale if it were not invalidated.
    await t.http.get('/api/v1/scopes').set(t.auth('viewer')).expect(200);

    const res = await t.http
      .patch(url(rackId))
      .set(t.auth('operator'))
      .send({ capacityWatts: 123_457, oversubscriptionRatio: 1.5 })
      .expect(200);
    const updated = scopeDetailSchema.parse(res.body);
    expect(updated).toMatchObject({
      id: rackId,
      path: before.path,
      capacityWatts: 123_457,
      oversubscriptionRatio: 1.5,
      effectiveBudgetWatts: Math.floor(123_457 * 1.5),
      nodes: before.nodes,
    });
    expect(updated.children).toEqual(before.children);

    const tree = scopeTreeSchema.parse((await t.http.get('/api/v1/scopes').set(t.auth('viewer')).expect(200)).body);
    const inTree = tree.items
      .flatMap((site) => site.children)
      .flatMap((hall) => hall.children)
      .flatMap((row) => row.children)
      .find((rack) => rack.id === rackId);
    expect(inTree).toMatchObject({ capacityWatts: 123_457, oversubscriptionRatio: 1.5 });

    const audit = await t.inventory.audit.list({ action: 'scope.update' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      actor: `token:test-operator:${t.tokens.operator.id}`,
      target: `scope/${rackId}`,
      details: {
        path: before.path,
        before: { capacityWatts: before.capacityWatts, oversubscriptionRatio: before.oversubscriptionRatio },
        changes: { capacityWatts: 123_457, oversubscriptionRatio: 1.5 },
      },
    });
  });

  it('changes one field and keeps the other; an admin may do it too', async () => {
    const before = scopeDetailSchema.parse((await t.http.get(url(siteId)).set(t.auth('viewer')).expect(200)).body);
    const res = await t.http.patch(url(siteId)).set(t.auth('admin')).send({ oversubscriptionRatio: 1.2 }).expect(200);
    expect(scopeDetailSchema.parse(res.body)).toMatchObject({
      capacityWatts: before.capacityWatts,
      oversubscriptionRatio: 1.2,
    });
    const audit = await t.inventory.audit.list({
      action: 'scope.update',
      actor: `token:test-admin:${t.tokens.admin.id}`,
    });
    expect(audit.items.map((e) => e.target)).toEqual([`scope/${siteId}`]);
  });

  it('is documented in /openapi.json as an operator PATCH', async () => {
    const doc = (await t.http.get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    const operation = doc.paths['/api/v1/scopes/{id}']?.patch;
    expect(operation?.operationId).toBe('updateScope');
    expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404', '422']));
  });

  describe('rejected requests change nothing', () => {
    const rejected: Array<
      [string, () => { id: string; body: unknown; auth?: 'viewer' | 'operator' | 'none' }, number, string | null]
    > = [
      [
        'an unknown scope is a 404',
        () => ({ id: '00000000-0000-4000-8000-000000000000', body: { capacityWatts: 5 } }),
        404,
        null,
      ],
      ['an id that is not a UUID is a 400 naming id', () => ({ id: 'rack-1', body: { capacityWatts: 5 } }), 400, 'id'],
      [
        'oversubscription below 1.0',
        () => ({ id: rackId, body: { oversubscriptionRatio: 0.99 } }),
        422,
        'oversubscriptionRatio',
      ],
      ['a capacity of 0', () => ({ id: rackId, body: { capacityWatts: 0 } }), 422, 'capacityWatts'],
      ['a negative capacity', () => ({ id: rackId, body: { capacityWatts: -1000 } }), 422, 'capacityWatts'],
      ['a fractional capacity', () => ({ id: rackId, body: { capacityWatts: 1000.5 } }), 422, 'capacityWatts'],
      ['a capacity beyond int4', () => ({ id: rackId, body: { capacityWatts: 2 ** 31 } }), 422, 'capacityWatts'],
      ['a capacity as a string', () => ({ id: rackId, body: { capacityWatts: '1000' } }), 422, 'capacityWatts'],
      [
        'a ratio as a string',
        () => ({ id: rackId, body: { oversubscriptionRatio: '1.5' } }),
        422,
        'oversubscriptionRatio',
      ],
      ['a null ratio', () => ({ id: rackId, body: { oversubscriptionRatio: null } }), 422, 'oversubscriptionRatio'],
      ['an unknown key', () => ({ id: rackId, body: { capacityWatts: 1000, name: 'renamed' } }), 422, null],
      ['an empty body', () => ({ id: rackId, body: {} }), 422, null],
      ['an array body', () => ({ id: rackId, body: [{ capacityWatts: 1000 }] }), 422, null],
      ['a viewer is forbidden', () => ({ id: rackId, body: { capacityWatts: 1000 }, auth: 'viewer' }), 403, null],
      ['no token is unauthorised', () => ({ id: rackId, body: { capacityWatts: 1000 }, auth: 'none' }), 401, null],
    ];

    // Every row has four cells: jest takes a callback with more parameters than cells for a `done` test.
    it.each(rejected)('%s', async (_label, request, status, field) => {
      const { id, body, auth = 'operator' } = request();
      const snapshot = await snapshotDatabase(t.db.database);
      const call = t.http.patch(url(id));
      if (auth !== 'none') call.set(t.auth(auth));
      const res = await call.send(body as object);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = problemSchema.parse(res.body);
      expect(problem.status).toBe(status);
      if (field) expect(problem.errors?.map((e) => e.path)).toContain(field);
      expect(await snapshotDatabase(t.db.database)).toEqual(snapshot);
    });

    it('a body that is not JSON is a 400', async () => {
      const snapshot = await snapshotDatabase(t.db.database);
      const res = await t.http
        .patch(url(rackId))
        .set(t.auth('operator'))
        .set('Content-Type', 'application/json')
        .send('{"capacityWatts": ');
      expect(res.status).toBe(400);
      expect(await snapshotDatabase(t.db.database)).toEqual(snapshot);
    });
  });
});
