/**
 * Fuzz tier: every operation of the app's own /openapi.json, driven with malformed input
 * generated from its parameters and request body schema (support/operation-requests.ts), on
 * PostgreSQL and on PGlite, authenticated as admin so requests reach validation. For every
 * request: an answer within REQUEST_TIMEOUT_MS, never a 5xx, and for every 4xx a problem+json
 * body and a database exactly as it was.
 *
 *   FUZZ_RUNS=200 npx jest test/fuzz          # more requests per operation (default 30)
 *   FUZZ_SEED=-1234 npx jest test/fuzz        # replay the seed a failure printed
 *   FUZZ_STATUSES=1 npx jest test/fuzz        # print how many of each status every operation answered
 */
import fc from 'fast-check';
import { problemSchema } from '@switchyard/contracts';
import { apiRoutes } from '../../apps/control-plane/src/control-plane.module';
import { snapshotDatabase, type DatabaseSnapshot } from '../http/support/db-snapshot';
import { openHttpTestApp, smallTopology, type HttpTestApp } from '../http/support/http-test-app';
import { awaitsIntColumnBounds } from './support/int-column-bounds';
import { operationsOf, requestsFor, type FuzzRequest, type Operation } from './support/operation-requests';
import { listenOnLoopback, sendRaw, type RawResponse } from './support/raw-http';
import { type JsonSchema } from './support/schema-arbitrary';

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED =
  process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
const REQUEST_TIMEOUT_MS = 20_000;

describe.each(['postgres', 'pglite'] as const)('every OpenAPI operation under malformed input (%s)', (backend) => {
  let t: HttpTestApp;
  let port: number;
  let document: JsonSchema;

  beforeAll(async () => {
    t = await openHttpTestApp({ backend, topology: smallTopology() });
    await seedOneOfEach(t);
    port = await listenOnLoopback(t.app.getHttpServer());
    document = JSON.parse((await send({ method: 'GET', url: '/openapi.json' })).text) as JsonSchema;
  }, 120_000);
  afterAll(() => t?.close());

  const send = (r: FuzzRequest): Promise<RawResponse> =>
    sendRaw(
      port,
      {
        method: r.method,
        url: r.url,
        headers: { ...t.auth('admin'), ...(r.contentType !== undefined ? { 'Content-Type': r.contentType } : {}) },
        body: r.body,
      },
      REQUEST_TIMEOUT_MS,
    );

  it(`answers every request with a non-5xx, and every 4xx changes nothing (${RUNS} runs per operation)`, async () => {
    const operations = operationsOf(document);
    expect(operations.map((o) => o.operationId).sort()).toEqual(
      apiRoutes()
        .map((r) => r.operationId)
        .sort(),
    );
    const statuses: Record<string, Record<string, number>> = {};
    let snapshot = await snapshotDatabase(t.db.database);
    for (const operation of operations) {
      const known = { ...(await knownPathValues(operation)), ...(await knownCursors(operation)) };
      const tally: Record<string, number> = (statuses[operation.operationId] = {});
      const property = fc.asyncProperty(requestsFor(operation, document, known), async (request) => {
        if (awaitsIntColumnBounds(operation, document, request.body)) {
          tally['left out: int beyond int32'] = (tally['left out: int beyond int32'] ?? 0) + 1;
          fc.pre(false);
        }
        const response = await send(request);
        tally[response.status] = (tally[response.status] ?? 0) + 1;
        snapshot = await checkAnswer(operation, request, response, snapshot);
      });
      try {
        await fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: true });
      } catch (error) {
        throw new Error(
          `${operation.operationId} (${operation.method} ${operation.path}) on ${backend}; replay with FUZZ_SEED=${SEED}\n` +
            // The counterexample may hold a megabyte of body; the request line above says what failed.
            `${String((error as Error).cause ?? '')}\n${(error as Error).message.slice(0, 4000)}`,
        );
      }
    }
    if (process.env.FUZZ_STATUSES) console.log(JSON.stringify(statuses));
    // Not vacuous: the admin token held, so every request got past authentication.
    for (const [operationId, tally] of Object.entries(statuses)) {
      expect({ operationId, unauthorized: (tally[401] ?? 0) + (tally[403] ?? 0) }).toEqual({
        operationId,
        unauthorized: 0,
      });
    }
  }, 600_000);

  /** The property's checks; returns the snapshot to compare the next request with. */
  async function checkAnswer(
    operation: Operation,
    request: FuzzRequest,
    response: RawResponse,
    before: DatabaseSnapshot,
  ): Promise<DatabaseSnapshot> {
    const shown = `${request.method} ${request.url.slice(0, 300)} (${request.contentType ?? 'no body'}) -> ${response.status} ${response.text.slice(0, 300)}`;
    // Operations that document a 503 answer it by design here, where the control plane runs without Kubernetes.
    const unavailable =
      response.status === 503 && operation.statuses.includes('503') && response.text.includes('/problems/unavailable');
    if (response.status >= 500 && !unavailable) throw new Error(`server error: ${shown}`);
    const after = await snapshotDatabase(t.db.database);
    if (response.status < 400) return after;
    // 431 comes from Node's HTTP parser (the URL is over its header limit) before the app sees the request.
    if (response.status !== 431) {
      if (!String(response.headers['content-type']).startsWith('application/problem+json')) {
        throw new Error(`not a problem+json answer: ${shown}`);
      }
      const problem = problemSchema.parse(JSON.parse(response.text));
      if (problem.status !== response.status) throw new Error(`problem status differs: ${shown}`);
    }
    const changed = Object.keys(after).filter(
      (table) => JSON.stringify(after[table]) !== JSON.stringify(before[table]),
    );
    if (changed.length > 0) throw new Error(`a rejected request changed ${changed.join(', ')}: ${shown}`);
    return after;
  }

  /**
   * Values of existing rows per path parameter, read from the operation's collection (the path
   * without its last segment): the fields named like the parameter, at any depth. The fuzzer's
   * own token is left out, so that it cannot revoke itself.
   */
  async function knownPathValues(operation: Operation): Promise<Record<string, string[]>> {
    const params = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
    if (params.length === 0) return {};
    const collection = operation.path.replace(/\/\{[^}]+\}.*$/, '');
    const response = await send({ method: 'GET', url: collection });
    if (response.status !== 200) return {};
    const found: Record<string, Set<string>> = Object.fromEntries(params.map((p) => [p, new Set<string>()]));
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key in found && typeof value === 'string' && value !== t.tokens.admin.id) found[key].add(value);
        visit(value);
      }
    };
    visit(JSON.parse(response.text));
    return Object.fromEntries(Object.entries(found).map(([p, values]) => [p, [...values].slice(0, 5)]));
  }

  /** A page cursor of the operation's own listing, when it takes one (`?cursor=`, `nextCursor`). */
  async function knownCursors(operation: Operation): Promise<Record<string, string[]>> {
    if (!operation.parameters.some((p) => p.in === 'query' && p.name === 'cursor')) return {};
    if (operation.parameters.some((p) => p.in === 'path')) return {};
    const response = await send({ method: 'GET', url: `${operation.path}?limit=1` });
    const cursor = response.status === 200 ? (JSON.parse(response.text) as { nextCursor?: unknown }).nextCursor : null;
    return typeof cursor === 'string' ? { cursor: [cursor] } : {};
  }
});

/** One row of each kind a path parameter can name, so that updates and deletes reach a real row. */
async function seedOneOfEach(t: HttpTestApp): Promise<void> {
  const actor = { actor: 'test:setup' };
  const scopeId = (await t.inventory.scopes.tree())[0].id;
  await t.inventory.tenants.create({ name: 'existing-tenant', gpuQuota: 8 }, actor);
  await t.inventory.modelProfiles.create(
    { name: 'vlm-33b', gpusPerReplica: 2, gpuMemoryMiB: 80_000, predictedWattsPerGpu: 600 },
    actor,
  );
  const now = Date.now();
  await t.inventory.budgetOverrides.create(
    { scopeId, watts: 1_000_000, startsAt: new Date(now), endsAt: new Date(now + 3_600_000), reason: 'grid event' },
    actor,
  );
}
