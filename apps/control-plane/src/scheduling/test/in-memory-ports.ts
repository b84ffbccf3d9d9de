import type { ClusterInput } from '@switchyard/placement';
import type { PodView } from '../pod-model';
import type {
  AllocationLedger,
  AllocationRecord,
  BindOutcome,
  ClusterInventory,
  CommitOutcome,
  SchedulingCluster,
} from '../scheduling-ports';

/**
 * A ledger with the database's invariants (one allocation per pod, a GPU's shares <= 1000
 * milli, a group commits all-or-nothing), for unit tests of the scheduler's logic. The
 * real ledger is tested against PostgreSQL in test/e2e.
 */
export class InvariantLedger implements AllocationLedger {
  readonly rows = new Map<string, AllocationRecord>();
  failNextCommit = false;
  /** The next commit is made durable, then throws as if the database died before replying. */
  loseNextCommitReply = false;

  async commit(records: readonly AllocationRecord[], groups: readonly (readonly number[])[]): Promise<CommitOutcome[]> {
    if (this.failNextCommit) {
      this.failNextCommit = false;
      throw new Error('connection refused');
    }
    const out: CommitOutcome[] = [];
    for (const group of groups) {
      const rows = group.map((i) => records[i]);
      const problem = this.violation(rows);
      const alreadyAllocated = rows.some((r) => this.rows.has(r.podUid));
      for (const r of rows)
        out.push(
          problem
            ? { podUid: r.podUid, committed: false, reason: problem, alreadyAllocated }
            : { podUid: r.podUid, committed: true },
        );
      if (!problem) for (const r of rows) this.rows.set(r.podUid, r);
    }
    if (this.loseNextCommitReply) {
      this.loseNextCommitReply = false;
      throw new Error('Connection terminated unexpectedly');
    }
    return out;
  }

  private violation(rows: readonly AllocationRecord[]): string | null {
    const share = new Map<string, number>();
    for (const r of this.rows.values()) for (const g of r.gpus) share.set(g.uuid, (share.get(g.uuid) ?? 0) + g.milli);
    for (const r of rows) {
      if (this.rows.has(r.podUid)) return `pod ${r.podUid} already has an allocation`;
      for (const g of r.gpus) {
        const next = (share.get(g.uuid) ?? 0) + g.milli;
        if (next > 1000) return `GPU ${g.uuid} over 1000 milli`;
        share.set(g.uuid, next);
      }
    }
    return null;
  }

  async markBound(podUids: readonly string[]): Promise<void> {
    for (const u of podUids) {
      const r = this.rows.get(u);
      if (r) this.rows.set(u, { ...r, state: 'bound' });
    }
  }

  async release(podUids: readonly string[]): Promise<void> {
    for (const u of podUids) this.rows.delete(u);
  }

  async list(): Promise<AllocationRecord[]> {
    return [...this.rows.values()];
  }
}

/** Records binds and events; a test decides what a bind answers. */
export class RecordingCluster implements SchedulingCluster {
  readonly binds: { name: string; nodeName: string; gpus: readonly { index: number }[] }[] = [];
  readonly events: { pod: string; reason: string; message: string }[] = [];
  readonly evictions: string[] = [];
  answer: (name: string) => BindOutcome | Error = () => 'bound';

  async bind(req: {
    namespace: string;
    name: string;
    nodeName: string;
    gpus: readonly { index: number; uuid: string }[];
  }): Promise<BindOutcome> {
    const a = this.answer(req.name);
    if (a instanceof Error) throw a;
    if (a === 'bound') this.binds.push({ name: req.name, nodeName: req.nodeName, gpus: req.gpus });
    return a;
  }

  /** Binds that failed but happened anyway (a lost answer). */
  readonly boundAnyway = new Map<string, string>();

  async boundNode(req: { name: string }): Promise<string | null | 'gone'> {
    return this.boundAnyway.get(req.name) ?? null;
  }

  /** Evictions the API refuses (a disruption budget), by pod name. */
  readonly refuseEviction = new Set<string>();

  async evict(req: { namespace: string; name: string }): Promise<void> {
    if (this.refuseEviction.has(req.name)) throw new Error('429 Too Many Requests: disruption budget');
    this.evictions.push(req.name);
  }

  recordEvent(pod: PodView, _type: string, reason: string, message: string): void {
    this.events.push({ pod: pod.metadata?.name ?? '', reason, message });
  }
}

/** A rack of `nodes` 8-GPU nodes under one row/hall/site, with the rack budget given. */
export function rackInventory(nodes: number, rackWatts: number): ClusterInventory {
  const gpu = { memoryMiB: 143_771, tdpWatts: 700, minLimitWatts: 200, maxLimitWatts: 700 };
  const cluster: ClusterInput = {
    scopes: [
      { id: 'site', kind: 'site', parentId: null, capacityWatts: 1e9 },
      { id: 'hall', kind: 'hall', parentId: 'site', capacityWatts: 1e8 },
      { id: 'row', kind: 'row', parentId: 'hall', capacityWatts: 1e7 },
      { id: 'rack', kind: 'rack', parentId: 'row', capacityWatts: rackWatts },
    ],
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: `n${i}`,
      scopeId: 'rack',
      cpuMilli: 224_000,
      memoryMiB: 2_097_152,
      idleWatts: 2000,
      maxWatts: 10_200,
      gpuProduct: 'NVIDIA-H200',
      gpus: Array.from({ length: 8 }, () => gpu),
    })),
  };
  return {
    cluster,
    gpuUuids: new Map(cluster.nodes.map((n) => [n.id, n.gpus.map((_, g) => `GPU-${n.id}-${g}`)])),
    products: new Map([['NVIDIA-H200', { memoryMiB: 143_771, tdpWatts: 700 }]]),
  };
}
