/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics:
 * - a candidate takes the lease only when it is free (no holder) or when the record has not
 *   changed for a whole lease duration *as observed by this process*; the holder's clock
 *   (renewTime) is never compared with ours, so clock skew cannot cause two leaders;
 * - every write carries the resourceVersion it read (optimistic concurrency), so two
 *   candidates racing for an expired lease cannot both win;
 * - the leader renews every retry period and steps down when it could not renew for the
 *   renew deadline, which is shorter than the lease duration, so it stops acting before
 *   anyone else may start;
 * - on graceful stop the leader empties holderIdentity, so a follower takes over at once.
 * A follower also watches the Lease, so it observes a renewal (or a release) when it happens
 * rather than up to a retry period later, and it makes its attempt at the moment the record
 * it observed expires instead of at the next retry tick. The retry period stays the fallback
 * when the watch is not available (e.g. RBAC without `watch` on leases).
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { sleep } from './backoff';
import type { ClusterConnection } from './cluster-connection';
import { toKubeApiError } from './kube-errors';
import { silentLogger, type KubeLogger } from './kube-logger';
import { collectionPath, type LeaseObject } from './kube-objects';
import { ResourceInformer } from './resource-informer';

export interface LeaderCallbacks {
  /** This process became the leader; `signal` aborts when it stops leading. */
  onStartedLeading?(signal: AbortSignal): void;
  onStoppedLeading?(): void;
  /** The observed holder changed (including to this process); `undefined` when released. */
  onNewLeader?(identity: string | undefined): void;
}

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly leaseName: string;
  /** Unique per process, e.g. the pod name plus a random suffix. */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly callbacks?: LeaderCallbacks;
  readonly logger?: KubeLogger;
  /** Monotonic milliseconds; the default is `performance.now()`, immune to wall-clock jumps. */
  readonly now?: () => number;
  /** Watch the Lease to observe changes as they happen (default true); false polls every retry period only. */
  readonly watch?: boolean;
}

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go's JitterFactor for the retry period. */
const RETRY_JITTER = 1.2;

export class LeaderElectionConfigError extends Error {}

interface ObservedRecord {
  readonly holder: string | undefined;
  /** Everything a holder changes when it renews; compared to tell a live holder from a dead one. */
  readonly fingerprint: string;
  readonly leaseDurationMs: number;
}

export class LeaseLeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: KubeLogger;
  private readonly now: () => number;
  private readonly stopController = new AbortController();
  private leading = false;
  private leadingController: AbortController | undefined;
  private observed: ObservedRecord | undefined;
  private observedAt = 0;
  /** Bumped whenever the observed record changes, to tell "changed since my last attempt". */
  private observedSerial = 0;
  private readonly leaseWatch: ResourceInformer<LeaseObject> | undefined;
  /** Wakes a waiting campaign when the watch delivers a change. */
  private wakeCampaign: (() => void) | undefined;
  /** The lease as last read or written, for the resourceVersion of the next write. */
  private lease: V1Lease | undefined;
  private lastReportedLeader: string | undefined | null = null;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!(this.leaseDurationMs > this.renewDeadlineMs))
      throw new LeaderElectionConfigError('leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > this.retryPeriodMs * RETRY_JITTER))
      throw new LeaderElectionConfigError('renewDeadline must be greater than retryPeriod*1.2');
    if (!opts.identity) throw new LeaderElectionConfigError('identity must not be empty');
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => performance.now());
    if (opts.watch !== false) {
      this.leaseWatch = new ResourceInformer<LeaseObject>(conn, {
        resource: 'leases',
        path: collectionPath('coordination.k8s.io/v1', 'leases', opts.namespace),
        fieldSelector: `metadata.name=${opts.leaseName}`,
        logger: onceThenDebug(this.logger, 'the election polls the lease every retry period until the watch works'),
      });
      const seen = (lease: LeaseObject) => {
        if (lease.metadata.name !== opts.leaseName) return;
        this.observe(lease, true);
        this.wakeCampaign?.();
      };
      this.leaseWatch.addHandlers({ onAdd: seen, onUpdate: seen });
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder this process last observed (itself when leading). */
  currentLeader(): string | undefined {
    return this.observed?.holder;
  }

  /**
   * Whether some replica held the Lease at its last renewal as this process saw it, no longer
   * ago than one lease duration: false means no replica leads (or none can be seen), which a
   * readiness check should report rather than hide.
   */
  leaderAlive(): boolean {
    if (this.leading) return true;
    const observed = this.observed;
    if (!observed?.holder) return false;
    return this.now() - this.observedAt <= observed.leaseDurationMs;
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** Starts campaigning in the background; call once. */
  start(): void {
    if (this.loop) return;
    // Without a working watch the election still works, polling every retry period.
    this.leaseWatch?.start().catch(() => undefined);
    this.loop = this.run();
  }

  /**
   * Stops campaigning. A leader releases the lease so a follower takes over at once; with
   * `release: false` (the API is unreachable, or a crash is being simulated) it just stops
   * renewing and the lease expires after its duration.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopController.abort();
    this.wakeCampaign?.();
    await Promise.all([this.loop, this.leaseWatch?.stop()]);
    if (this.leading) {
      if (options.release !== false) await this.release();
      this.stepDown();
    }
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private jitteredRetry(): number {
    return this.retryPeriodMs * (1 + Math.random() * (RETRY_JITTER - 1));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!(await this.campaign())) return;
      this.becomeLeader();
      // Renew until stopped or the renew deadline passes without a successful renewal.
      let lastRenew = this.now();
      while (!this.stopped) {
        await sleep(this.retryPeriodMs, this.stopController.signal);
        if (this.stopped) return;
        // A hung request must not keep a stale leader acting past its renew deadline.
        const remaining = Math.max(0, this.renewDeadlineMs - (this.now() - lastRenew));
        if (await withDeadline(this.tryAcquireOrRenew(), remaining)) {
          lastRenew = this.now();
        } else if (
          this.now() - lastRenew >= this.renewDeadlineMs ||
          (this.observed?.holder !== undefined && this.observed.holder !== this.opts.identity)
        ) {
          this.logger.warn(
            { lease: this.opts.leaseName, identity: this.opts.identity },
            'failed to renew the lease in time; stepping down',
          );
          this.stepDown();
          break;
        }
      }
    }
  }

  /**
   * Tries to acquire until it succeeds (true) or the elector stops (false). An attempt is made
   * at the first chance, every retry period (jittered) as a fallback, as soon as an observed
   * record has been free since the last attempt, and at the moment the observed record
   * expires: observedAt (this process's clock, when it saw the record change) + lease duration.
   */
  private async campaign(): Promise<boolean> {
    let lastAttemptAt = Number.NEGATIVE_INFINITY;
    let lastAttemptSerial = -1;
    let retryDelay = this.jitteredRetry();
    while (!this.stopped) {
      const now = this.now();
      const observed = this.observed;
      const expiresAt = observed?.holder !== undefined ? this.observedAt + observed.leaseDurationMs : undefined;
      const attempt =
        now - lastAttemptAt >= retryDelay ||
        (observed !== undefined && observed.holder === undefined && this.observedSerial !== lastAttemptSerial) ||
        (expiresAt !== undefined && now >= expiresAt && lastAttemptAt < expiresAt);
      if (attempt) {
        lastAttemptAt = now;
        lastAttemptSerial = this.observedSerial;
        retryDelay = this.jitteredRetry();
        if (await this.tryAcquireOrRenew()) return true;
        continue;
      }
      let wakeAt = lastAttemptAt + retryDelay;
      if (expiresAt !== undefined && lastAttemptAt < expiresAt) wakeAt = Math.min(wakeAt, expiresAt);
      await this.waitForChange(Math.max(0, wakeAt - now));
    }
    return false;
  }

  /** Sleeps for `ms`, or less when the watch observes a change or the elector stops. */
  private async waitForChange(ms: number): Promise<void> {
    const woken = new AbortController();
    this.wakeCampaign = () => woken.abort();
    const onStop = () => woken.abort();
    this.stopController.signal.addEventListener('abort', onStop, { once: true });
    try {
      // +1 ms: a timer may fire a fraction of a millisecond before its deadline on the monotonic clock.
      await sleep(ms + 1, woken.signal);
    } finally {
      this.wakeCampaign = undefined;
      this.stopController.signal.removeEventListener('abort', onStop);
    }
  }

  private becomeLeader(): void {
    this.leading = true;
    this.leadingController = new AbortController();
    this.logger.info({ lease: this.opts.leaseName, identity: this.opts.identity }, 'became leader');
    try {
      this.opts.callbacks?.onStartedLeading?.(this.leadingController.signal);
    } catch (err) {
      this.logger.error({ err: String(err) }, 'onStartedLeading failed');
    }
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.leadingController?.abort();
    try {
      this.opts.callbacks?.onStoppedLeading?.();
    } catch (err) {
      this.logger.error({ err: String(err) }, 'onStoppedLeading failed');
    }
  }

  /**
   * Records what the Lease says now. `lease` comes from a read or write through client-node
   * (typed, dates as Date) or from the watch (wire JSON, dates as strings); only the former is
   * kept as the base of the next write, and timestamps are compared as milliseconds so that the
   * two forms of one record do not look like a change.
   */
  private observe(lease: V1Lease | LeaseObject, watched = false): void {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ? spec.holderIdentity : undefined;
    const fingerprint = JSON.stringify([
      holder,
      timeMs(spec.renewTime),
      timeMs(spec.acquireTime),
      spec.leaseTransitions ?? 0,
      spec.leaseDurationSeconds ?? 0,
    ]);
    if (this.observed?.fingerprint !== fingerprint) {
      this.observed = {
        holder,
        fingerprint,
        leaseDurationMs: spec.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : this.leaseDurationMs,
      };
      this.observedAt = this.now();
      this.observedSerial += 1;
    }
    if (!watched) this.lease = lease as V1Lease;
    if (this.lastReportedLeader !== holder) {
      this.lastReportedLeader = holder;
      try {
        this.opts.callbacks?.onNewLeader?.(holder);
      } catch (err) {
        this.logger.error({ err: String(err) }, 'onNewLeader failed');
      }
    }
  }

  private spec(acquireTime: Date, transitions: number): V1Lease['spec'] {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: new V1MicroTime(acquireTime.getTime()),
      renewTime: new V1MicroTime(Date.now()),
      leaseTransitions: transitions,
    };
  }

  /** One round of client-go's tryAcquireOrRenew; false on any failure (it is retried). */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, leaseName: name } = this.opts;
    let current: V1Lease;
    try {
      current = await this.conn.coordination.readNamespacedLease({ name, namespace });
    } catch (err) {
      const e = toKubeApiError(err, `read lease ${namespace}/${name}`);
      if (!e.isNotFound) {
        this.logger.warn({ err: e.message }, 'cannot read the leader lease');
        return false;
      }
      try {
        const created = await this.conn.coordination.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: this.spec(new Date(), 0),
          },
        });
        this.observe(created);
        return true;
      } catch (createErr) {
        this.logger.debug(
          { err: toKubeApiError(createErr, 'create lease').message },
          'lost the race to create the lease',
        );
        return false;
      }
    }
    this.observe(current);
    const holder = this.observed!.holder;
    const iHold = holder === this.opts.identity;
    if (holder !== undefined && !iHold && this.now() - this.observedAt < this.observed!.leaseDurationMs) return false;

    const spec = current.spec ?? {};
    const acquireTime = iHold && spec.acquireTime ? new Date(spec.acquireTime as unknown as string) : new Date();
    const transitions = (spec.leaseTransitions ?? 0) + (iHold ? 0 : 1);
    try {
      const updated = await this.conn.coordination.replaceNamespacedLease({
        name,
        namespace,
        body: { ...current, spec: { ...spec, ...this.spec(acquireTime, transitions) } },
      });
      this.observe(updated);
      return true;
    } catch (err) {
      const e = toKubeApiError(err, `update lease ${namespace}/${name}`);
      if (e.isConflict) this.logger.debug({ err: e.message }, 'the lease changed under us');
      else this.logger.warn({ err: e.message }, 'cannot update the leader lease');
      return false;
    }
  }

  /** Gives the lease up so that the next candidate need not wait for it to expire. */
  private async release(): Promise<void> {
    const current = this.lease;
    if (!current?.spec || current.spec.holderIdentity !== this.opts.identity) return;
    const now = new V1MicroTime(Date.now());
    try {
      const released = await this.conn.coordination.replaceNamespacedLease({
        name: this.opts.leaseName,
        namespace: this.opts.namespace,
        body: {
          ...current,
          spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        },
      });
      this.observe(released);
      this.logger.info({ lease: this.opts.leaseName, identity: this.opts.identity }, 'released the leader lease');
    } catch (err) {
      this.logger.warn(
        { err: toKubeApiError(err, 'release lease').message },
        'could not release the lease; it will expire',
      );
    }
  }
}

/**
 * The first warning as a warning (with `note`), the rest as debug: a lease watch that keeps
 * failing (e.g. RBAC without list/watch on leases) must not flood the log, polling covers it.
 */
function onceThenDebug(logger: KubeLogger, note: string): KubeLogger {
  let warned = false;
  return {
    debug: (obj, msg) => logger.debug(obj, msg),
    info: (obj, msg) => logger.info(obj, msg),
    warn: (obj, msg) => {
      if (warned) return logger.debug(obj, msg);
      warned = true;
      logger.warn({ ...obj, note }, `lease watch: ${msg}`);
    },
    error: (obj, msg) => logger.error(obj, msg),
  };
}

/** A timestamp as client-node (Date) or the wire (RFC 3339 string) carries it, in epoch milliseconds. */
function timeMs(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (value instanceof Date) return value.getTime();
  const ms = Date.parse(String(value));
  return Number.isNaN(ms) ? null : ms;
}

function withDeadline(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
