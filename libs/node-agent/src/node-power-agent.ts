/**
 * The node agent's loop around the pure plan: read the GPUs, plan, set the limits that differ,
 * read them back, report on each pod what is in force. Runs on pod events and on a period (a
 * limit changed behind its back is put back); reconciles are serialized and coalesced, and a
 * failing one is logged, never fatal.
 */
import type { PowerLimitActuator } from './power-limit-actuator';
import { enforcementPatch, enforcementReports, type PodEnforcementReport } from './power-limit-enforcement';
import { planPowerLimits, type NodePod, type PowerLimitAction, type PowerLimitPlan } from './power-limit-plan';

/** The pods bound to this node, from whatever watches them. */
export interface NodePodSource {
  pods(): readonly NodePod[];
}

/** Writes a merge patch of annotations on a pod (`namespace/name`); a pod already gone is not an error. */
export interface EnforcementReporter {
  annotate(key: string, annotations: Record<string, string | null>): Promise<void>;
}

/** Structured logging as pino does it. */
export interface AgentLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NodePowerAgentOptions {
  readonly pods: NodePodSource;
  readonly actuator: PowerLimitActuator;
  readonly reporter: EnforcementReporter;
  readonly logger: AgentLogger;
  /** Log what would be done; set no limit and write no annotation. */
  readonly dryRun?: boolean;
  readonly safeDefaultFraction?: number;
}

export interface ReconcileOutcome {
  readonly plan: PowerLimitPlan;
  readonly failed: readonly PowerLimitAction[];
  readonly reports: readonly PodEnforcementReport[];
  /** Keys of the pods whose annotations were written (or, in a dry run, would be). */
  readonly annotated: readonly string[];
}

export class NodePowerAgent {
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NodePowerAgentOptions) {}

  /** Reconciles every `intervalMs` until stopped. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.trigger(), intervalMs);
  }

  /** Waits for the reconcile in progress; the period stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  /**
   * Asks for a reconcile. One that has not started yet already covers this request (it reads the
   * pods when it starts), so bursts of pod events cost one reconcile, not one each.
   */
  trigger(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.chain.then(async () => {
      this.queued = null;
      try {
        await this.reconcile();
      } catch (error) {
        this.options.logger.error({ err: messageOf(error) }, 'reconcile failed; retrying on the next event or period');
      }
    });
    this.queued = run;
    this.chain = run;
    return run;
  }

  /** One reconcile; throws only when the GPUs cannot be read at all. */
  async reconcile(): Promise<ReconcileOutcome> {
    const { actuator, logger, dryRun = false } = this.options;
    const pods = this.options.pods.pods();
    const before = await actuator.readGpus();
    const plan = planPowerLimits(pods, before, { safeDefaultFraction: this.options.safeDefaultFraction });
    const failed: PowerLimitAction[] = [];
    for (const action of plan.actions) {
      const fields = { gpu: action.index, fromWatts: action.fromWatts, toWatts: action.toWatts };
      if (dryRun) {
        logger.info(fields, 'dry run: would set the GPU power limit');
        continue;
      }
      try {
        await actuator.setLimit(action.index, action.toWatts);
        logger.info(fields, 'GPU power limit set');
      } catch (error) {
        failed.push(action);
        logger.error({ ...fields, err: messageOf(error) }, 'cannot set the GPU power limit');
      }
    }
    const after = plan.actions.length > 0 && !dryRun ? await actuator.readGpus() : before;
    const reports = enforcementReports(plan, after);
    const annotated = await this.report(pods, reports);
    return { plan, failed, reports, annotated };
  }

  private async report(pods: readonly NodePod[], reports: readonly PodEnforcementReport[]): Promise<string[]> {
    const { reporter, logger, dryRun = false } = this.options;
    const annotations = new Map(pods.map((p) => [p.key, p.annotations]));
    const annotated: string[] = [];
    for (const report of reports) {
      const patch = enforcementPatch(annotations.get(report.key) ?? {}, report);
      if (!patch) continue;
      const fields = { pod: report.key, enforcedWatts: report.enforcedWatts, enforcement: report.enforcement };
      if (report.detail) logger.warn({ ...fields, detail: report.detail }, 'pod power limit not as requested');
      annotated.push(report.key);
      if (dryRun) {
        logger.info({ ...fields, patch }, 'dry run: would annotate the pod');
        continue;
      }
      try {
        await reporter.annotate(report.key, patch);
        logger.debug(fields, 'enforced power limit reported');
      } catch (error) {
        logger.warn({ ...fields, err: messageOf(error) }, 'cannot report the enforced power limit');
      }
    }
    return annotated;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
