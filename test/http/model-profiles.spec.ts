import { modelProfilePageSchema, modelProfileSchema, problemSchema } from '@switchyard/contracts';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: smallTopology() });
});
afterAll(() => t.close());

const vlm = {
  name: 'vlm-33b',
  gpusPerReplica: 2,
  gpuMemoryMiB: 80_000,
  allowedProducts: ['NVIDIA-H200'],
  predictedWattsPerGpu: 620,
  cappedPowerLimitWatts: 450,
  predictedWattsPerGpuCapped: 430,
};

describe('model profiles', () => {
  it('create, get, patch, list and delete', async () => {
    const created = await t.http.post('/api/v1/model-profiles').set(t.auth('operator')).send(vlm).expect(201);
    const profile = modelProfileSchema.parse(created.body);
    expect(profile).toMatchObject(vlm);
    expect(created.headers.location).toBe(`/api/v1/model-profiles/${profile.id}`);

    expect(
      modelProfileSchema.parse((await t.http.get(created.headers.location).set(t.auth('viewer')).expect(200)).body),
    ).toEqual(profile);

    const patched = await t.http
      .patch(created.headers.location)
      .set(t.auth('operator'))
      .send({ cappedPowerLimitWatts: null, predictedWattsPerGpuCapped: null, allowedProducts: [] })
      .expect(200);
    expect(modelProfileSchema.parse(patched.body)).toMatchObject({
      cappedPowerLimitWatts: null,
      predictedWattsPerGpuCapped: null,
      allowedProducts: [],
    });

    const list = modelProfilePageSchema.parse(
      (await t.http.get('/api/v1/model-profiles').set(t.auth('viewer')).expect(200)).body,
    );
    expect(list.items.map((p) => p.name)).toEqual(['vlm-33b']);

    await t.http.delete(created.headers.location).set(t.auth('operator')).expect(204);
    await t.http.get(created.headers.location).set(t.auth('viewer')).expect(404);
    await t.http.delete(created.headers.location).set(t.auth('operator')).expect(404);

    const audit = await t.inventory.audit.list({ actor: `token:test-operator:${t.tokens.operator.id}` });
    expect(audit.items.map((e) => e.action)).toEqual([
      'modelProfile.delete',
      'modelProfile.update',
      'modelProfile.create',
    ]);
  });

  it('names an unknown GPU product', async () => {
    const res = await t.http
      .post('/api/v1/model-profiles')
      .set(t.auth('operator'))
      .send({ ...vlm, name: 'vlm-b', allowedProducts: ['NVIDIA-H200', 'NVIDIA-Z9'] })
      .expect(422);
    expect(problemSchema.parse(res.body).errors).toEqual([
      { path: 'allowedProducts[1]', message: expect.stringContaining('NVIDIA-Z9'), in: 'body' },
    ]);
  });

  it('requires both capping numbers or neither, and a capped draw below the full one', async () => {
    const half = await t.http
      .post('/api/v1/model-profiles')
      .set(t.auth('operator'))
      .send({ ...vlm, name: 'vlm-c', predictedWattsPerGpuCapped: undefined })
      .expect(422);
    expect(problemSchema.parse(half.body).errors!.map((e) => e.path)).toEqual(['predictedWattsPerGpuCapped']);
    const above = await t.http
      .post('/api/v1/model-profiles')
      .set(t.auth('operator'))
      .send({ ...vlm, name: 'vlm-d', predictedWattsPerGpuCapped: 700 })
      .expect(422);
    expect(problemSchema.parse(above.body).errors![0].message).toBe('must not exceed predictedWattsPerGpu');
  });

  it('a duplicate name is a conflict; an empty patch is refused', async () => {
    const first = await t.http
      .post('/api/v1/model-profiles')
      .set(t.auth('operator'))
      .send({ ...vlm, name: 'vlm-e' })
      .expect(201);
    await t.http
      .post('/api/v1/model-profiles')
      .set(t.auth('operator'))
      .send({ ...vlm, name: 'vlm-e' })
      .expect(409);
    const empty = await t.http.patch(first.headers.location).set(t.auth('operator')).send({}).expect(422);
    expect(problemSchema.parse(empty.body).errors![0]).toMatchObject({
      path: '(body)',
      message: 'must change at least one field',
    });
  });
});
