import { PlacementInputError } from '../errors';
import type { TenantInput } from '../model';
import { toMilliwatts } from '../topology';

/**
 * Tenants, their quotas and what their placed pods use. Usage is counted for every tenant
 * named by a placement, with or without a quota, so changing or removing a quota never
 * loses it: a tenant over a quota that was cut is only refused new placements.
 *
 * Without a tenant list (`known` null) any tenant id is accepted, and quotas are still set
 * per tenant with set().
 */
export class TenantQuotas {
  private readonly known: Set<string> | null;
  private readonly inputs = new Map<string, TenantInput>();
  private readonly gpuQuotaMilli = new Map<string, number>();
  private readonly wattQuotaMw = new Map<string, number>();
  readonly usedMilli = new Map<string, number>();
  readonly usedMw = new Map<string, number>();

  constructor(tenants: readonly TenantInput[] | undefined) {
    this.known = tenants === undefined || tenants === null ? null : new Set();
    (tenants ?? []).forEach((t, i) => {
      if (this.known?.has(t?.id))
        throw new PlacementInputError('duplicate-id', `tenants[${i}].id`, `duplicate tenant "${t.id}"`);
      this.set(t, `tenants[${i}]`);
    });
  }

  /** The ids a request may name, or null for any. */
  get ids(): ReadonlySet<string> | null {
    return this.known;
  }

  /** Creates or changes a tenant's quotas (null or absent = unlimited). */
  set(t: TenantInput, field = 'tenant'): void {
    if (!t || typeof t.id !== 'string' || t.id === '')
      throw new PlacementInputError('invalid-value', `${field}.id`, 'must be a non-empty string');
    for (const [name, v] of [
      ['gpuQuota', t.gpuQuota],
      ['wattQuota', t.wattQuota],
    ] as const)
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
        throw new PlacementInputError(
          'invalid-value',
          `${field}.${name}`,
          `must be a finite number >= 0 or null, got ${String(v)}`,
        );
    this.known?.add(t.id);
    this.inputs.set(t.id, t);
    setOrDelete(this.gpuQuotaMilli, t.id, t.gpuQuota == null ? undefined : Math.round(t.gpuQuota * 1000));
    setOrDelete(this.wattQuotaMw, t.id, t.wattQuota == null ? undefined : toMilliwatts(t.wattQuota));
  }

  /** Forgets a tenant: new requests naming it are refused; its placed replicas stay, and so does their usage. */
  remove(id: string): void {
    if (!this.inputs.has(id))
      throw new PlacementInputError('unknown-tenant', 'tenantId', `unknown tenant "${String(id)}"`);
    this.known?.delete(id);
    this.inputs.delete(id);
    this.gpuQuotaMilli.delete(id);
    this.wattQuotaMw.delete(id);
  }

  /** The tenants as set, in the order first set. */
  list(): TenantInput[] {
    return [...this.inputs.values()];
  }

  get open(): boolean {
    return this.known === null;
  }

  gpuQuotaMilliOf(tenant: string | null): number | undefined {
    return tenant === null ? undefined : this.gpuQuotaMilli.get(tenant);
  }

  usedMilliOf(tenant: string | null): number {
    return tenant === null ? 0 : (this.usedMilli.get(tenant) ?? 0);
  }

  /** Watts the tenant may still add, in milliwatts (Infinity without a quota). */
  roomMw(tenant: string | null): number {
    if (tenant === null) return Number.POSITIVE_INFINITY;
    const quota = this.wattQuotaMw.get(tenant);
    return quota === undefined ? Number.POSITIVE_INFINITY : quota - (this.usedMw.get(tenant) ?? 0);
  }

  charge(tenant: string, milli: number, milliwatts: number): void {
    bump(this.usedMilli, tenant, milli);
    bump(this.usedMw, tenant, milliwatts);
  }
}

function setOrDelete(map: Map<string, number>, key: string, v: number | undefined): void {
  if (v === undefined) map.delete(key);
  else map.set(key, v);
}

/** Adds to a count, dropping it at zero so maps hold only what is in use. */
export function bump<K>(map: Map<K, number>, key: K, by: number): void {
  const v = (map.get(key) ?? 0) + by;
  if (v === 0) map.delete(key);
  else map.set(key, v);
}
