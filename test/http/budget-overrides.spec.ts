import { budgetOverridePageSchema, budgetOverrideSchema, problemSchema } from '@switchyard/contracts';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
let siteId: string;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: smallTopology() });
  siteId = (await t.inventory.scopes.tree())[0].id;
});
afterAll(() => t.close());

const hour = 3_600_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('budget overrides (grid events)', () => {
  it('create, list by state, cancel (kept, marked cancelled), cancel twice is a conflict', async () => {
    const created = await t.http
      .post('/api/v1/budget-overrides')
      .set(t.auth('operator'))
      .send({
        scopeId: siteId,
        watts: 1_700_000,
        startsAt: at(-hour),
        endsAt: at(hour),
        reason: 'utility demand response',
      })
      .expect(201);
    const override = budgetOverrideSchema.parse(created.body);
    expect(override).toMatchObject({ scopeId: siteId, watts: 1_700_000, state: 'active', cancelledAt: null });
    expect(override.createdBy).toBe(`token:test-operator:${t.tokens.operator.id}`);
    expect(created.headers.location).toBe(`/api/v1/budget-overrides/${override.id}`);

    const future = await t.http
      .post('/api/v1/budget-overrides')
      .set(t.auth('operator'))
      .send({
        scopeId: siteId,
        watts: 1_500_000,
        startsAt: at(24 * hour),
        endsAt: at(26 * hour),
        reason: 'maintenance',
      })
      .expect(201);
    expect(budgetOverrideSchema.parse(future.body).state).toBe('scheduled');

    const active = budgetOverridePageSchema.parse(
      (await t.http.get(`/api/v1/budget-overrides?state=active&scopeId=${siteId}`).set(t.auth('viewer')).expect(200))
        .body,
    );
    expect(active.items.map((o) => o.id)).toEqual([override.id]);

    await t.http.delete(created.headers.location).set(t.auth('operator')).expect(204);
    const cancelled = budgetOverrideSchema.parse(
      (await t.http.get(created.headers.location).set(t.auth('viewer')).expect(200)).body,
    );
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.cancelledAt).not.toBeNull();

    const again = await t.http.delete(created.headers.location).set(t.auth('operator')).expect(409);
    expect(problemSchema.parse(again.body).detail).toContain('already cancelled');

    const audit = await t.inventory.audit.list({ action: 'budgetOverride.cancel' });
    expect(audit.items.map((e) => [e.target, e.actor])).toEqual([
      [`budgetOverride/${override.id}`, `token:test-operator:${t.tokens.operator.id}`],
    ]);
  });

  it('rejects a window that ends before it starts, naming endsAt', async () => {
    const res = await t.http
      .post('/api/v1/budget-overrides')
      .set(t.auth('operator'))
      .send({ scopeId: siteId, watts: 1, startsAt: at(hour), endsAt: at(0), reason: 'x' })
      .expect(422);
    expect(problemSchema.parse(res.body).errors).toEqual([
      { path: 'endsAt', message: 'must be after startsAt', in: 'body' },
    ]);
  });

  it('an unknown scope is a 404 naming scopeId', async () => {
    const res = await t.http
      .post('/api/v1/budget-overrides')
      .set(t.auth('operator'))
      .send({
        scopeId: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f',
        watts: 1,
        startsAt: at(0),
        endsAt: at(hour),
        reason: 'x',
      })
      .expect(404);
    expect(problemSchema.parse(res.body).errors).toEqual([
      { path: 'scopeId', message: expect.stringContaining('not found'), in: 'body' },
    ]);
  });

  it('a viewer can read but not create', async () => {
    await t.http.get('/api/v1/budget-overrides').set(t.auth('viewer')).expect(200);
    await t.http
      .post('/api/v1/budget-overrides')
      .set(t.auth('viewer'))
      .send({ scopeId: siteId, watts: 1, startsAt: at(0), endsAt: at(hour), reason: 'x' })
      .expect(403);
  });
});
