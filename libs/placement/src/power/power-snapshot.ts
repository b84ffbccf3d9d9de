/**
 * The power picture the budget planners work on: every scope (and node) with its budget, its
 * predicted load and, when telemetry has it, its measured load; every placed pod with the scopes
 * above it and what it adds now, capped and uncapped. Milliwatts, integers, as in the engine.
 * Plain data, so the planners are pure and the same code plans on the live state and on a fork.
 */
export type PowerScopeKind = 'site' | 'hall' | 'row' | 'rack' | 'node';

export interface PowerScopeView {
  readonly id: string;
  readonly kind: PowerScopeKind;
  readonly budgetMw: number;
  /** Predicted load: idle power of its nodes plus what is placed under it (GPU and host share). */
  readonly loadMw: number;
  /** Measured load, or null when telemetry has no fresh reading for every node under it. */
  readonly measuredMw: number | null;
}

export interface PowerPodView {
  readonly podId: string;
  /** Pods of one replica (a gang) are preempted together. */
  readonly replicaId: string;
  readonly deployment: string | null;
  readonly priority: number;
  /** Indices into the snapshot's scopes: the pod's node and every scope up to the site. */
  readonly scopes: readonly number[];
  /** What the pod adds to each of its scopes now. */
  readonly loadMw: number;
  /** What it adds uncapped. */
  readonly uncappedLoadMw: number;
  /** What it would add at its deployment's lowest power limit; null when its deployment does not allow capping. */
  readonly cappedLoadMw: number | null;
  /** Runs under its cap now. */
  readonly capped: boolean;
}

export interface PowerSnapshot {
  readonly scopes: readonly PowerScopeView[];
  readonly pods: readonly PowerPodView[];
  /** Replicas each deployment may still lose (its maxUnavailable less those already down); absent = no limit known. */
  readonly disruptionAllowed?: ReadonlyMap<string, number>;
}

/** A step of a plan; `scopeId` names the scope that asked for it. */
export type PowerAction =
  | {
      readonly kind: 'cap';
      readonly podId: string;
      readonly priority: number;
      readonly scopeId: string;
      readonly reason: 'over-budget' | 'measured-high' | 'measured-critical';
      readonly savedMw: number;
    }
  | { readonly kind: 'uncap'; readonly podId: string; readonly priority: number; readonly addedMw: number }
  | {
      readonly kind: 'preempt';
      readonly replicaId: string;
      readonly podIds: readonly string[];
      readonly priority: number;
      readonly scopeId: string;
      readonly savedMw: number;
      /** The budget could not be met within the deployment's maxUnavailable: the budget won. */
      readonly disruptionExceeded: boolean;
    };

export interface PowerPlan {
  readonly actions: readonly PowerAction[];
  /** Scopes still over budget after every action the planner may take (only uncappable, unpreemptable work left). */
  readonly unresolved: readonly {
    readonly scopeId: string;
    readonly kind: PowerScopeKind;
    readonly overByMw: number;
  }[];
  /** Predicted load of every scope after the plan, by index. */
  readonly loadAfterMw: readonly number[];
}
