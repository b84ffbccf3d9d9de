/**
 * Which budget overrides are in force when: the overrides that have not ended, by scope, and
 * the next instant at which any of them starts or ends. Pure (time is passed in), so the
 * cluster state can arm one timer for the next boundary and tests can step through a day.
 * An override is in force from `startsAt` (inclusive) to `endsAt` (exclusive), unless
 * cancelled; several may overlap on one scope and the lowest wins (as in libs/inventory).
 */
export interface ScheduledOverride {
  readonly id: string;
  readonly scopeId: string;
  readonly watts: number;
  readonly startsAt: Date;
  readonly endsAt: Date;
}

export class BudgetSchedule {
  private readonly byId = new Map<string, ScheduledOverride>();
  private readonly byScope = new Map<string, Set<string>>();

  /** Forget everything and hold `overrides` (ended ones are dropped on the next `prune`). */
  replaceAll(overrides: Iterable<ScheduledOverride>): void {
    this.byId.clear();
    this.byScope.clear();
    for (const o of overrides) this.add(o);
  }

  add(override: ScheduledOverride): void {
    this.remove(override.id);
    this.byId.set(override.id, override);
    let ids = this.byScope.get(override.scopeId);
    if (!ids) this.byScope.set(override.scopeId, (ids = new Set()));
    ids.add(override.id);
  }

  /** Cancelled (or unknown): returns the scope it was on, if it was held. */
  remove(id: string): string | undefined {
    const o = this.byId.get(id);
    if (!o) return undefined;
    this.byId.delete(id);
    const ids = this.byScope.get(o.scopeId);
    ids?.delete(id);
    if (ids?.size === 0) this.byScope.delete(o.scopeId);
    return o.scopeId;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The lowest override in force on `scopeId` at `now`, or null. */
  inForce(scopeId: string, now: Date): number | null {
    let lowest: number | null = null;
    for (const id of this.byScope.get(scopeId) ?? []) {
      const o = this.byId.get(id) as ScheduledOverride;
      if (o.startsAt <= now && now < o.endsAt && (lowest === null || o.watts < lowest)) lowest = o.watts;
    }
    return lowest;
  }

  /** Scopes that hold at least one override (in force or scheduled). */
  scopes(): IterableIterator<string> {
    return this.byScope.keys();
  }

  /** Every override held, for reconciling against the database. */
  all(): IterableIterator<ScheduledOverride> {
    return this.byId.values();
  }

  /** The earliest start or end strictly after `now`, or null when nothing is scheduled. */
  nextBoundary(now: Date): Date | null {
    let next: number | null = null;
    const t = now.getTime();
    for (const o of this.byId.values())
      for (const at of [o.startsAt.getTime(), o.endsAt.getTime()])
        if (at > t && (next === null || at < next)) next = at;
    return next === null ? null : new Date(next);
  }

  /** Drops overrides that ended at or before `now`; returns their scopes. */
  prune(now: Date): string[] {
    const scopes: string[] = [];
    for (const o of [...this.byId.values()])
      if (o.endsAt <= now) {
        this.remove(o.id);
        scopes.push(o.scopeId);
      }
    return scopes;
  }
}
