import { auditPageSchema, createdTokenSchema, problemSchema, tokenListSchema } from '@switchyard/contracts';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp();
});
afterAll(() => t.close());

describe('API tokens', () => {
  it('an admin creates a token whose secret works at once, lists it without the secret, and revokes it', async () => {
    const created = await t.http
      .post('/api/v1/tokens')
      .set(t.auth('admin'))
      .send({ name: 'ci-pipeline', role: 'operator' })
      .expect(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const token = createdTokenSchema.parse(created.body);
    expect(token.token).toMatch(/^sy_[A-Za-z0-9_-]{43}$/);
    const bearer = { Authorization: `Bearer ${token.token}` };

    await t.http.post('/api/v1/tenants').set(bearer).send({ name: 'made-by-ci' }).expect(201);
    await t.http.post('/api/v1/tokens').set(bearer).send({ name: 'escalate', role: 'admin' }).expect(403);

    const list = await t.http.get('/api/v1/tokens').set(t.auth('admin')).expect(200);
    const listed = tokenListSchema.parse(list.body).items.find((x) => x.id === token.id);
    expect(listed).toMatchObject({ name: 'ci-pipeline', role: 'operator', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(token.token);
    expect(JSON.stringify(list.body)).not.toMatch(/"hash"/);

    await t.http.delete(`/api/v1/tokens/${token.id}`).set(t.auth('admin')).expect(204);
    const after = await t.http.get('/api/v1/tenants').set(bearer).expect(401);
    expect(after.headers['www-authenticate']).toContain('invalid_token');
    await t.http.delete(`/api/v1/tokens/${token.id}`).set(t.auth('admin')).expect(409);

    const active = tokenListSchema.parse(
      (await t.http.get('/api/v1/tokens?includeRevoked=false').set(t.auth('admin')).expect(200)).body,
    );
    expect(active.items.some((x) => x.id === token.id)).toBe(false);
  });

  it('only admins manage tokens', async () => {
    await t.http.get('/api/v1/tokens').set(t.auth('operator')).expect(403);
    await t.http.post('/api/v1/tokens').set(t.auth('operator')).send({ name: 'x', role: 'viewer' }).expect(403);
  });

  it('rejects an unknown role naming the field', async () => {
    const res = await t.http.post('/api/v1/tokens').set(t.auth('admin')).send({ name: 'x', role: 'root' }).expect(422);
    expect(problemSchema.parse(res.body).errors!.map((e) => e.path)).toEqual(['role']);
  });
});

describe('audit log', () => {
  it('filters by actor, action and time range, newest first, paginated', async () => {
    const start = new Date();
    for (const name of ['a-1', 'a-2', 'a-3']) {
      await t.http.post('/api/v1/tenants').set(t.auth('admin')).send({ name }).expect(201);
    }
    const adminActor = `token:test-admin:${t.tokens.admin.id}`;
    const res = await t.http
      .get('/api/v1/audit-events')
      .query({ actor: adminActor, action: 'tenant.create', since: start.toISOString(), limit: 2 })
      .set(t.auth('viewer'))
      .expect(200);
    const page = auditPageSchema.parse(res.body);
    expect(page.items).toHaveLength(2);
    expect(page.items.every((e) => e.actor === adminActor && e.action === 'tenant.create')).toBe(true);
    expect(page.nextCursor).not.toBeNull();
    const rest = auditPageSchema.parse(
      (
        await t.http
          .get('/api/v1/audit-events')
          .query({
            actor: adminActor,
            action: 'tenant.create',
            since: start.toISOString(),
            limit: 2,
            cursor: page.nextCursor,
          })
          .set(t.auth('viewer'))
          .expect(200)
      ).body,
    );
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    const names = [...page.items, ...rest.items].map((e) => (e.details as { name: string }).name);
    expect(names).toEqual(['a-3', 'a-2', 'a-1']);

    const none = auditPageSchema.parse(
      (
        await t.http
          .get('/api/v1/audit-events')
          .query({ until: start.toISOString(), action: 'tenant.create', actor: adminActor })
          .set(t.auth('viewer'))
          .expect(200)
      ).body,
    );
    expect(none.items).toEqual([]);
  });
});
