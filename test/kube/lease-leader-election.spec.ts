/**
 * Leader election through the real client-node against the embedded API, with short timings
 * (lease 1.5 s, renew deadline 1 s, retry 0.2 s) so that expiries happen within a test.
 */
import type { LeaseLeaderElector, SwitchyardCluster } from '@switchyard/kube';
import { eventually, startSimFixture, type SimFixture } from './kube-sim-fixture';

const NS = 'switchyard-system';
const LEASE_MS = 1500;
const RENEW_MS = 1000;
const RETRY_MS = 200;

let fx: SimFixture;
beforeAll(async () => {
  fx = await startSimFixture();
  await fx.cluster.connection.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  });
});
afterAll(() => fx.close());

interface Candidate {
  readonly elector: LeaseLeaderElector;
  readonly started: number[];
  readonly startedWall: number[];
  readonly stopped: number[];
  readonly leaders: (string | undefined)[];
}

const running: LeaseLeaderElector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop({ release: false })));
});

function candidate(
  cluster: SwitchyardCluster,
  leaseName: string,
  identity: string,
  leaseDurationMs = LEASE_MS,
  timings: { retryPeriodMs?: number; renewDeadlineMs?: number; watch?: boolean } = {},
): Candidate {
  const c: Candidate = {
    started: [],
    startedWall: [],
    stopped: [],
    leaders: [],
    elector: cluster.leaderElector({
      namespace: NS,
      leaseName,
      identity,
      leaseDurationMs,
      renewDeadlineMs:
        timings.renewDeadlineMs ??
        (leaseDurationMs > LEASE_MS ? leaseDurationMs / 2 : Math.min(RENEW_MS, leaseDurationMs - 100)),
      retryPeriodMs: timings.retryPeriodMs ?? RETRY_MS,
      ...(timings.watch === undefined ? {} : { watch: timings.watch }),
      callbacks: {
        onStartedLeading: () => {
          c.started.push(performance.now());
          c.startedWall.push(Date.now());
        },
        onStoppedLeading: () => c.stopped.push(performance.now()),
        onNewLeader: (id) => c.leaders.push(id),
      },
    }),
  };
  running.push(c.elector);
  return c;
}

async function readLease(
  name: string,
): Promise<{ spec: Record<string, unknown>; metadata: { resourceVersion: string } }> {
  return fx.cluster.connection.request({
    method: 'GET',
    path: `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`,
  });
}

describe('LeaseLeaderElector', () => {
  it('elects exactly one of two candidates and both agree who leads', async () => {
    // Generous timings: a renewal delayed by a busy machine must not look like a lost leader here.
    const a = candidate(fx.cluster, 'one-leader', 'a', 4000);
    const b = candidate(fx.connectAgain(), 'one-leader', 'b', 4000);
    a.elector.start();
    b.elector.start();
    await eventually(() => a.elector.isLeader() || b.elector.isLeader(), 5000, 'a leader');
    // Sample for two lease durations: never two leaders, never a change of leader while both renew.
    const first = a.elector.isLeader() ? 'a' : 'b';
    const until = performance.now() + 2 * LEASE_MS;
    while (performance.now() < until) {
      expect(Number(a.elector.isLeader()) + Number(b.elector.isLeader())).toBe(1);
      expect(a.elector.isLeader() ? 'a' : 'b').toBe(first);
      await new Promise((r) => setTimeout(r, 50));
    }
    const lease = await readLease('one-leader');
    expect(lease.spec.holderIdentity).toBe(first);
    expect(b.elector.currentLeader()).toBe(first);
    expect(a.elector.currentLeader()).toBe(first);
    expect(a.started.length + b.started.length).toBe(1);
  });

  it.each([
    ['watching the lease', true],
    ['polling only', false],
  ])(
    'lets the follower take over after the leader stops renewing, not before the lease expires (%s)',
    async (_mode, watch) => {
      const name = `crash-${watch ? 'watch' : 'poll'}`;
      const a = candidate(fx.cluster, name, 'a', LEASE_MS, { watch });
      a.elector.start();
      await eventually(() => a.elector.isLeader(), 5000, 'a leads');
      const b = candidate(fx.connectAgain(), name, 'b', LEASE_MS, { watch });
      b.elector.start();
      await new Promise((r) => setTimeout(r, 3 * RETRY_MS)); // b has observed a's renewals
      expect(b.elector.isLeader()).toBe(false);

      await a.elector.stop({ release: false }); // as kill -9: no release
      const lastRenewal = Date.parse(String((await readLease(name)).spec.renewTime));
      await eventually(() => b.elector.isLeader(), LEASE_MS + 2 * RETRY_MS + 3000, 'b takes over');
      // b can only have seen a's last renewal after it was written, and must then wait a whole lease.
      expect(b.startedWall[0] - lastRenewal).toBeGreaterThanOrEqual(LEASE_MS);
      const lease = await readLease(name);
      expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
      // The acquisition written to the record obeys the same bound (both clocks are this machine's).
      expect(Date.parse(String(lease.spec.acquireTime)) - lastRenewal).toBeGreaterThanOrEqual(LEASE_MS);
      expect(b.leaders).toEqual(['a', 'b']);
    },
  );

  it('observes a release through the watch, without waiting for its next retry tick', async () => {
    // Retry every 8-9.6 s: after its first (failed) attempt, b would not poll again before then.
    const timings = { retryPeriodMs: 8000, renewDeadlineMs: 10_000 };
    const a = candidate(fx.cluster, 'watched-release', 'a', 20_000, timings);
    a.elector.start();
    await eventually(() => a.elector.isLeader(), 5000, 'a leads');
    const b = candidate(fx.connectAgain(), 'watched-release', 'b', 20_000, timings);
    const startedAt = performance.now();
    b.elector.start();
    await eventually(() => b.elector.currentLeader() === 'a', 5000, 'b has seen a hold the lease');
    await a.elector.stop(); // releases
    await eventually(() => b.elector.isLeader(), 5000, 'b takes over after the release');
    // Only an observed change can explain an attempt before b's second retry tick.
    expect(b.started[0] - startedAt).toBeLessThan(8000);
    expect((await readLease('watched-release')).spec.holderIdentity).toBe('b');
  });

  it('hands over at once when the leader releases the lease on graceful stop', async () => {
    const long = 20_000; // far longer than the test may wait: only a release explains a takeover
    const a = candidate(fx.cluster, 'graceful', 'a', long);
    a.elector.start();
    await eventually(() => a.elector.isLeader(), 5000, 'a leads');
    const b = candidate(fx.connectAgain(), 'graceful', 'b', long);
    b.elector.start();
    await new Promise((r) => setTimeout(r, 2 * RETRY_MS));
    await a.elector.stop();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.stopped).toHaveLength(1);
    await eventually(() => b.elector.isLeader(), 5000, 'b takes over after the release');
    expect((await readLease('graceful')).spec.holderIdentity).toBe('b');
  });

  it('ignores the holder clock: a live holder with an ancient renewTime keeps the lease, a dead one with a future renewTime loses it', async () => {
    const conn = fx.cluster.connection;
    const path = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
    const hourMs = 3_600_000;
    const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
    let lease = await conn.request<{ metadata: Record<string, unknown>; spec: Record<string, unknown> }>({
      method: 'POST',
      path,
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'skew' },
        spec: {
          holderIdentity: 'skewed',
          leaseDurationSeconds: 1,
          renewTime: micro(Date.now() - hourMs),
          acquireTime: micro(Date.now() - hourMs),
          leaseTransitions: 0,
        },
      },
    });
    // A holder whose clock is an hour behind, renewing every 200 ms.
    let renewing = true;
    const holder = (async () => {
      let tick = 0;
      while (renewing) {
        lease = await conn.request({
          method: 'PUT',
          path: `${path}/skew`,
          body: { ...lease, spec: { ...lease.spec, renewTime: micro(Date.now() - hourMs + ++tick) } },
        });
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    })();
    const c = candidate(fx.connectAgain(), 'skew', 'candidate', 1000);
    c.elector.start();
    await new Promise((r) => setTimeout(r, 2500));
    expect(c.elector.isLeader()).toBe(false);
    expect(c.elector.currentLeader()).toBe('skewed');
    renewing = false;
    await holder;

    // Now the holder dies with a renewTime an hour in the future; expiry is still one lease duration.
    lease = await conn.request({
      method: 'PUT',
      path: `${path}/skew`,
      body: { ...lease, spec: { ...lease.spec, renewTime: micro(Date.now() + hourMs) } },
    });
    await eventually(
      () => c.elector.isLeader(),
      1000 + 2 * RETRY_MS + 3000,
      'takeover from a dead holder with a future renewTime',
    );
    expect((await readLease('skew')).spec.holderIdentity).toBe('candidate');
  });

  it('rejects timings that could give two leaders', () => {
    expect(() =>
      fx.cluster.leaderElector({
        namespace: NS,
        leaseName: 'x',
        identity: 'i',
        leaseDurationMs: 1000,
        renewDeadlineMs: 1000,
      }),
    ).toThrow(/leaseDuration must be greater/);
    expect(() =>
      fx.cluster.leaderElector({
        namespace: NS,
        leaseName: 'x',
        identity: 'i',
        renewDeadlineMs: 2000,
        retryPeriodMs: 2000,
      }),
    ).toThrow(/renewDeadline/);
    expect(() => fx.cluster.leaderElector({ namespace: NS, leaseName: 'x', identity: '' })).toThrow(/identity/);
  });
});

describe('leaderAlive (for readiness)', () => {
  it('is true while the holder renews and false once its lease ran out as this replica saw it', async () => {
    const a = candidate(fx.cluster, 'alive', 'alive-a');
    a.elector.start();
    await eventually(() => a.elector.isLeader());
    expect(a.elector.leaderAlive()).toBe(true);
    let skewMs = 0;
    const b = fx.cluster.leaderElector({
      namespace: NS,
      leaseName: 'alive',
      identity: 'alive-b',
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: RENEW_MS,
      retryPeriodMs: RETRY_MS,
      now: () => performance.now() + skewMs,
    });
    running.push(b);
    expect(b.leaderAlive()).toBe(false); // nothing observed yet
    b.start();
    await eventually(() => b.currentLeader() === 'alive-a');
    expect(b.leaderAlive()).toBe(true);
    await a.elector.stop({ release: false }); // no more renewals, the record stays
    skewMs = 10 * LEASE_MS; // b's clock: ten lease durations after its last observation
    expect(b.isLeader()).toBe(false);
    expect(b.leaderAlive()).toBe(false);
  });
});
