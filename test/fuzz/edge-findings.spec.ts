/**
 * What the fuzz tier and a review found at the HTTP edge (issue 12), pinned as examples: each
 * was a 500 or a silent reinterpretation, and is now a 4xx problem naming where, with nothing
 * written.
 */
import { connect } from 'node:net';
import request from 'supertest';
import { problemSchema, stringifyTopology } from '@switchyard/contracts';
import { snapshotDatabase, type DatabaseSnapshot } from '../http/support/db-snapshot';
import { openHttpTestApp, smallTopology, type HttpTestApp } from '../http/support/http-test-app';
import { listenOnLoopback } from './support/raw-http';

let t: HttpTestApp;
let before: DatabaseSnapshot;
let scopeId: string;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: smallTopology() });
  scopeId = (await t.inventory.scopes.tree())[0].id;
  before = await snapshotDatabase(t.db.database);
});
afterAll(async () => {
  // Nothing in this file may have written anything.
  expect(await snapshotDatabase(t.db.database)).toEqual(before);
  await t.close();
});

const NUL = 'contains a NUL byte (U+0000), which cannot be stored';
const SURROGATE = 'contains a lone surrogate (U+D800), which is not valid Unicode and cannot be stored';

async function problem(res: request.Response, status: number, kind: string) {
  expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  const parsed = problemSchema.parse(res.body);
  expect(parsed.type).toBe(`https://switchyard.io/problems/${kind}`);
  return parsed;
}

/** A JSON body sent as the exact text given (escapes such as `\u0000` stay escapes). */
const sendJson = (method: 'post' | 'put', url: string, text: string) =>
  t.http[method](url).set(t.auth('admin')).set('Content-Type', 'application/json').send(text);

describe('NUL bytes and lone surrogates', () => {
  it.each([
    ['/api/v1/nodes?product=H200%00', 'product'],
    ['/api/v1/gpus?node=n%00', 'node'],
    ['/api/v1/gpus?product=%00', 'product'],
    ['/api/v1/audit-events?actor=a%00b', 'actor'],
    ['/api/v1/audit-events?action=%00', 'action'],
    ['/api/v1/placements?node=n%00', 'node'],
    ['/api/v1/placements?tenant=t%00', 'tenant'],
  ])('in the query: %s is a 400 naming query.%s', async (url, field) => {
    const p = await problem(await t.http.get(url).set(t.auth('viewer')), 400, 'invalid-parameters');
    expect(p.errors).toEqual([{ path: field, message: NUL, in: 'query' }]);
    expect(p.detail).toBe(`query.${field}: ${NUL}`);
  });

  it('in a path parameter: /api/v1/nodes/{name} is a 400 naming path.name', async () => {
    const p = await problem(
      await t.http.get('/api/v1/nodes/node%00-1').set(t.auth('viewer')),
      400,
      'invalid-parameters',
    );
    expect(p.errors).toEqual([{ path: 'name', message: NUL, in: 'path' }]);
  });

  it.each([
    ['/api/v1/tenants', '{"name":"a\\u0000b","gpuQuota":1}', 'name', NUL],
    ['/api/v1/tenants', '{"name":"a\\ud800b","gpuQuota":1}', 'name', SURROGATE],
    ['/api/v1/tokens', '{"name":"ci\\u0000","role":"viewer"}', 'name', NUL],
    ['/api/v1/tokens', '{"name":"\\ud800","role":"viewer"}', 'name', SURROGATE],
    [
      '/api/v1/model-profiles',
      '{"name":"vlm\\u0000","gpusPerReplica":1,"gpuMemoryMiB":1000,"predictedWattsPerGpu":500}',
      'name',
      NUL,
    ],
  ])('in a JSON body: POST %s %s is a 422 naming body.%s', async (url, text, field, message) => {
    const p = await problem(await sendJson('post', url, text), 422, 'validation-failed');
    expect(p.errors).toEqual([{ path: field, message, in: 'body' }]);
    expect(p.detail).toBe(`body.${field}: ${message}`);
  });

  it.each([
    ['grid\\u0000event', NUL],
    ['grid\\ud800', SURROGATE],
  ])('in a budget override reason (%s) is a 422 naming body.reason', async (reason, message) => {
    const text = `{"scopeId":"${scopeId}","watts":1000,"startsAt":"2030-01-01T14:00:00Z","endsAt":"2030-01-01T16:00:00Z","reason":"${reason}"}`;
    const p = await problem(await sendJson('post', '/api/v1/budget-overrides', text), 422, 'validation-failed');
    expect(p.detail).toBe(`body.reason: ${message}`);
  });

  it.each(['/api/v1/nodes', '/api/v1/gpus'])('inside a page cursor of %s is a 400 naming cursor', async (path) => {
    const page = await t.http.get(`${path}?limit=1`).set(t.auth('viewer')).expect(200);
    const key = JSON.parse(Buffer.from(page.body.nextCursor as string, 'base64url').toString('utf8')) as unknown[];
    key[1] = `${String(key[1])}\u0000`;
    const cursor = Buffer.from(JSON.stringify(key)).toString('base64url');
    const p = await problem(
      await t.http.get(`${path}?cursor=${cursor}`).set(t.auth('viewer')),
      400,
      'invalid-parameters',
    );
    expect(p.errors?.map((e) => [e.path, e.in])).toEqual([['cursor', 'query']]);
  });

  it('in a YAML topology, as a byte or as an escape, is a 422', async () => {
    const putYaml = (text: string) =>
      t.http.put('/api/v1/topology').set(t.auth('admin')).set('Content-Type', 'application/yaml').send(text);
    const yaml = stringifyTopology(smallTopology());
    const raw = await problem(await putYaml(`${yaml}# a comment\u0000\n`), 422, 'validation-failed');
    expect(raw.errors).toEqual([{ path: '(body)', message: NUL, in: 'body' }]);
    const doc = smallTopology();
    doc.nodes[0].labels = { team: 'vision\u0000' };
    const escaped = stringifyTopology(doc);
    expect(escaped).not.toContain('\u0000'); // the YAML text holds an escape, not the byte
    expect((await putYaml(escaped)).status).toBe(422);
  });
});

describe('JSON that JSON.parse accepts but a strict API refuses', () => {
  it('a key twice in one object is a 400 naming it (not silently the last one)', async () => {
    const p = await problem(
      await sendJson('post', '/api/v1/tenants', '{"name":"first","gpuQuota":1,"name":"second"}'),
      400,
      'malformed-request',
    );
    expect(p.errors).toEqual([{ path: 'name', message: 'is a duplicate key', in: 'body' }]);
  });

  it('nesting deeper than 64 levels is a 400 before any schema, even on the topology route', async () => {
    const deep = `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const p = await problem(await sendJson('post', '/api/v1/tenants', deep), 400, 'malformed-request');
    expect(p.errors?.[0].message).toBe('nests deeper than 64 levels');
    const topology = `{"halls":${'{"a":'.repeat(65)}1${'}'.repeat(65)}}`;
    await problem(await sendJson('put', '/api/v1/topology', topology), 400, 'malformed-request');
  });

  it('a truncated body is a 400, a body that is not UTF-8 is a 400, another charset a 415', async () => {
    await problem(await sendJson('post', '/api/v1/tenants', '{"name":"x","gpuQ'), 400, 'malformed-request');
    const notUtf8 = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .set('Content-Type', 'application/json')
      .serialize((bytes: unknown) => bytes as string)
      .send(Buffer.from('{"name":"caf\xe9"}', 'latin1'));
    expect((await problem(notUtf8, 400, 'malformed-request')).errors).toEqual([
      { path: '(body)', message: 'is not valid UTF-8', in: 'body' },
    ]);
    const utf16 = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .set('Content-Type', 'application/json; charset=utf-16')
      .send('{}');
    await problem(utf16, 415, 'unsupported-media-type');
  });

  it('integers beyond 2^53 and 1e400 are a 422 at the schema, not a 500', async () => {
    for (const quota of ['9007199254740993', '1e400', '-1e400', '123456789012345678901234567890']) {
      const res = await sendJson('post', '/api/v1/tenants', `{"name":"big","gpuQuota":${quota}}`);
      const p = await problem(res, 422, 'validation-failed');
      expect(p.errors?.map((e) => e.path)).toEqual(['gpuQuota']);
    }
  });

  it('a body cut short by a client that hangs up costs the server nothing: it answers the next request', async () => {
    const port = await listenOnLoopback(t.app.getHttpServer());
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: ${t.auth('admin').Authorization}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"half',
          () => socket.destroy(),
        );
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await t.http.get('/api/v1/tenants').set(t.auth('viewer')).expect(200);
  });
});
