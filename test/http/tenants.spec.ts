import { problemSchema, tenantPageSchema, tenantSchema } from '@switchyard/contracts';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp();
});
afterAll(() => t.close());

describe('tenants and quotas', () => {
  it('create, read, update, list, delete; each mutation audited with its actor', async () => {
    const created = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('operator'))
      .send({ name: 'vision-team', gpuQuota: 64, wattsQuota: 50_000 })
      .expect(201);
    const tenant = tenantSchema.parse(created.body);
    expect(created.headers.location).toBe(`/api/v1/tenants/${tenant.id}`);
    expect(tenant).toMatchObject({ name: 'vision-team', gpuQuota: 64, wattsQuota: 50_000 });

    const read = await t.http.get(created.headers.location).set(t.auth('viewer')).expect(200);
    expect(tenantSchema.parse(read.body).usage).toEqual({ gpus: 0, predictedWatts: 0, allocations: 0 });

    const updated = await t.http
      .patch(created.headers.location)
      .set(t.auth('operator'))
      .send({ gpuQuota: null, name: 'vision' })
      .expect(200);
    expect(tenantSchema.parse(updated.body)).toMatchObject({ name: 'vision', gpuQuota: null, wattsQuota: 50_000 });

    const list = await t.http.get('/api/v1/tenants').set(t.auth('viewer')).expect(200);
    expect(tenantPageSchema.parse(list.body).items.map((x) => x.name)).toContain('vision');

    await t.http.delete(created.headers.location).set(t.auth('operator')).expect(204);
    const gone = await t.http.get(created.headers.location).set(t.auth('viewer')).expect(404);
    expect(problemSchema.parse(gone.body).type).toBe('https://switchyard.io/problems/not-found');

    const audit = await t.inventory.audit.list({ action: undefined, limit: 1000 });
    const mine = audit.items.filter((e) => e.target === `tenant/${tenant.id}`).map((e) => [e.action, e.actor]);
    const actor = `token:test-operator:${t.tokens.operator.id}`;
    expect(mine).toEqual([
      ['tenant.delete', actor],
      ['tenant.update', actor],
      ['tenant.create', actor],
    ]);
  });

  it('a duplicate name is a 409 problem', async () => {
    await t.http.post('/api/v1/tenants').set(t.auth('operator')).send({ name: 'dup' }).expect(201);
    const res = await t.http.post('/api/v1/tenants').set(t.auth('operator')).send({ name: 'dup' }).expect(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemSchema.parse(res.body)).toMatchObject({
      status: 409,
      type: 'https://switchyard.io/problems/conflict',
    });
  });

  it('rejects bad bodies naming each field, and writes nothing', async () => {
    const before = await t.inventory.tenants.list({ limit: 1000 });
    const res = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('operator'))
      .send({ name: '', gpuQuota: -1, wattsQuota: 'lots', colour: 'blue' })
      .expect(422);
    const problem = problemSchema.parse(res.body);
    expect(problem.type).toBe('https://switchyard.io/problems/validation-failed');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['colour', 'gpuQuota', 'name', 'wattsQuota']);
    expect((await t.inventory.tenants.list({ limit: 1000 })).items).toEqual(before.items);
  });

  it('paginates with a cursor', async () => {
    for (const name of ['p-1', 'p-2', 'p-3', 'p-4', 'p-5']) {
      await t.http.post('/api/v1/tenants').set(t.auth('operator')).send({ name }).expect(201);
    }
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.http
        .get('/api/v1/tenants')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(t.auth('viewer'))
        .expect(200);
      const page = tenantPageSchema.parse(res.body);
      expect(page.items.length).toBeLessThanOrEqual(2);
      names.push(...page.items.map((x) => x.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('a cursor that was not issued by the API is a 400 naming cursor', async () => {
    const res = await t.http.get('/api/v1/tenants?cursor=garbage').set(t.auth('viewer')).expect(400);
    expect(problemSchema.parse(res.body).errors).toEqual([
      { path: 'cursor', message: expect.any(String), in: 'query' },
    ]);
  });
});
