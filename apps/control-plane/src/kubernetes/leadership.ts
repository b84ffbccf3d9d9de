import type { KubeLogger, LeaseLeaderElector, SwitchyardCluster } from '@switchyard/kube';
import type { SchedulingMetrics } from '@switchyard/telemetry';

export interface LeadershipOptions {
  readonly cluster: SwitchyardCluster;
  readonly identity: string;
  readonly namespace: string;
  readonly leaseName: string;
  readonly logger: KubeLogger;
  readonly metrics: SchedulingMetrics | null;
  readonly timings: {
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
  };
  /** Everything a new leader does before it acts (rebuild from PostgreSQL, start loops); a throw steps down. */
  readonly activate: () => Promise<void>;
  /** Stop acting at once (leadership lost, or an activation that failed). */
  readonly deactivate: () => void;
}

/**
 * Who leads, through a `coordination.k8s.io` Lease: one activation at a time, in the order
 * leadership came and went; a leader that cannot take over steps down (releasing the Lease
 * so another replica can try).
 */
export class Leadership {
  private readonly elector: LeaseLeaderElector;
  private leadingNow = false;
  private activation: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeadershipOptions) {
    this.elector = options.cluster.leaderElector({
      namespace: options.namespace,
      leaseName: options.leaseName,
      identity: options.identity,
      logger: options.logger,
      ...options.timings,
      callbacks: { onStartedLeading: () => this.started(), onStoppedLeading: () => this.stopped() },
    });
  }

  start(): void {
    this.elector.start();
  }

  /** Stop campaigning; `release` hands the Lease over at once, else it must expire (a crash). */
  async stop(release: boolean): Promise<void> {
    this.leadingNow = false;
    await this.elector.stop({ release }).catch(() => undefined);
  }

  /** This replica leads and acts (set before its activation, cleared at once when it stops). */
  get leading(): boolean {
    return this.leadingNow;
  }

  get isLeader(): boolean {
    return this.elector.isLeader();
  }

  get identity(): string {
    return this.elector.identity;
  }

  get leader(): string | undefined {
    return this.elector.currentLeader();
  }

  /** Some replica held the Lease within one lease duration, as seen from here. */
  leaderAlive(): boolean {
    return this.elector.leaderAlive();
  }

  private started(): void {
    this.leadingNow = true;
    this.options.metrics?.setLeader(true);
    this.options.logger.info({ identity: this.identity }, 'became leader: rebuilding and scheduling');
    this.activation = this.activation
      .then(async () => {
        await this.options.activate();
        if (!this.leadingNow) this.options.deactivate(); // lost while activating
      })
      .catch((error) => {
        this.options.logger.error(
          { err: String((error as Error)?.stack ?? error) },
          'could not take over; stepping down',
        );
        this.options.deactivate();
        void this.elector.stop({ release: true });
      });
  }

  private stopped(): void {
    this.leadingNow = false;
    this.options.metrics?.setLeader(false);
    this.options.deactivate();
    this.options.logger.warn({ identity: this.identity }, 'lost leadership: stopped scheduling');
  }
}
