import { Inject, Injectable } from '@nestjs/common';
import { Inventory, effectiveBudget, type ScopeSummary } from '@switchyard/inventory';
import {
  ControlPlaneMetrics,
  SCOPE_KINDS_ABOVE_RACK,
  ThrottledRead,
  ready,
  scopeBudgetOverrideWatts,
  scopeBudgetWatts,
  scopeGpus,
  scopeGpusAllocated,
  scopeGpusBusy,
  scopeNodes,
  scopeNominalBudgetWatts,
  scopePredictedWatts,
  scopeSnapshotAgeSeconds,
  scopeSnapshotDurationSeconds,
  scopeSnapshotErrorsTotal,
  type Gauge,
  type GaugeDefinition,
  type ScopeLabel,
} from '@switchyard/telemetry';
import { READINESS_CHECKS, evaluateReadiness, type ReadinessCheck } from '../health/readiness';
import { type Logger, ROOT_LOGGER, loggerFor } from '../logging/logger';

/**
 * The scope tree is read at most this often, in the background of a scrape (which answers with the
 * previous read at once): scrapes cost no database time, extra scrapers (an HA Prometheus pair)
 * share reads, and the numbers are at most this plus one scrape interval old.
 */
export const SCOPE_SNAPSHOT_INTERVAL_MS = 10_000;
const READINESS_INTERVAL_MS = 5_000;

type ScopeLabels = Record<ScopeLabel, string>;

/** One scope's numbers with its labels. */
interface ScopeSeries {
  readonly labels: ScopeLabels;
  readonly aboveRack: boolean;
  readonly summary: ScopeSummary;
}

/** Labels each scope by its path and kind. */
export function scopeSeries(summaries: readonly ScopeSummary[]): ScopeSeries[] {
  return summaries.map((summary) => ({
    labels: { scope: summary.path, scope_kind: summary.kind },
    aboveRack: SCOPE_KINDS_ABOVE_RACK.includes(summary.kind),
    summary,
  }));
}

/**
 * The values one gauge shows, by scope path. A new read touches only the series whose value
 * changed, appeared or went: the metrics library hashes the labels on every set, and re-setting
 * all 4,141 scopes of five gauges at every read would cost more than the read itself.
 */
export class ShownValues {
  private read: readonly ScopeSeries[] | undefined;
  private shown = new Map<string, { labels: ScopeLabels; value: number }>();

  update(gauge: Gauge<ScopeLabel>, read: readonly ScopeSeries[], valueOf: (s: ScopeSeries) => number | undefined) {
    if (read === this.read) return; // the same read as the last scrape: nothing to do
    this.read = read;
    const next = new Map<string, { labels: ScopeLabels; value: number }>();
    for (const series of read) {
      const value = valueOf(series);
      if (value === undefined) continue;
      next.set(series.labels.scope, { labels: series.labels, value });
      if (this.shown.get(series.labels.scope)?.value !== value) gauge.set(series.labels, value);
    }
    for (const [scope, { labels }] of this.shown) if (!next.has(scope)) gauge.remove(labels);
    this.shown = next;
  }
}

/**
 * The power and GPU numbers of every scope, from PostgreSQL (not this replica's scheduler memory),
 * set at scrape time by collect() callbacks: every replica, leader or follower, reports the same
 * values. One read of the scope tree (~100 ms at campus scale), made in the background of a scrape
 * at most every SCOPE_SNAPSHOT_INTERVAL_MS, serves every gauge; a failed read keeps the last values
 * and counts an error. Also `switchyard_ready`, the /readyz verdict as a number.
 */
@Injectable()
export class ScopeMetrics {
  private readonly snapshot: ThrottledRead<ScopeSeries[]>;
  private readonly readiness: ThrottledRead<boolean>;

  constructor(
    @Inject(ControlPlaneMetrics) metrics: ControlPlaneMetrics,
    @Inject(Inventory) inventory: Inventory,
    @Inject(READINESS_CHECKS) checks: ReadinessCheck[],
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    const log = loggerFor(root, ScopeMetrics);
    const errors = metrics.counter(scopeSnapshotErrorsTotal);
    this.snapshot = new ThrottledRead(async () => scopeSeries(await inventory.scopes.summaries()), {
      minIntervalMs: SCOPE_SNAPSHOT_INTERVAL_MS,
      serveStale: true,
      onError: (error) => {
        errors.inc();
        log.warn({ err: String(error) }, 'scope metrics: reading the scope tree failed; keeping the last values');
      },
    });
    this.readiness = new ThrottledRead(async () => (await evaluateReadiness(checks)).ready, {
      minIntervalMs: READINESS_INTERVAL_MS,
      serveStale: true, // a hanging database must not hold the scrape for the checks' 2 s timeout
    });

    const perScope = (
      definition: GaugeDefinition<ScopeLabel>,
      value: (s: ScopeSummary) => number | undefined,
      include: (s: ScopeSeries) => boolean = () => true,
    ) => {
      const shown = new ShownValues();
      return metrics.gauge(definition, async (gauge) => {
        const read = await this.snapshot.get();
        if (read) shown.update(gauge, read.value, (series) => (include(series) ? value(series.summary) : undefined));
        // Never read yet: no series rather than zeros.
      });
    };

    perScope(scopeBudgetWatts, (s) => s.effectiveBudgetWatts);
    perScope(scopeBudgetOverrideWatts, (s) => s.activeOverride?.watts);
    perScope(scopeNominalBudgetWatts, (s) =>
      s.activeOverride ? effectiveBudget(s.capacityWatts, s.oversubscriptionRatio, null) : undefined,
    );
    perScope(scopePredictedWatts, (s) => s.allocatedWatts);
    perScope(scopeGpus, (s) => s.gpusTotal);
    perScope(scopeGpusAllocated, (s) => s.gpusAllocatedMilli / 1000);
    perScope(
      scopeGpusBusy,
      (s) => s.gpusBusy,
      (series) => series.aboveRack,
    );
    perScope(
      scopeNodes,
      (s) => s.nodes,
      (series) => series.aboveRack,
    );
    metrics.gauge(scopeSnapshotAgeSeconds, async (gauge) => {
      const read = await this.snapshot.get();
      if (read) gauge.set(read.ageSeconds);
    });
    metrics.gauge(scopeSnapshotDurationSeconds, async (gauge) => {
      const read = await this.snapshot.get();
      if (read) gauge.set(read.durationSeconds);
    });
    metrics.gauge(ready, async (gauge) => {
      const read = await this.readiness.get();
      gauge.set(read?.value ? 1 : 0);
    });
  }
}
