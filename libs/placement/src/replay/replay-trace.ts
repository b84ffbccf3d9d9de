import { readFileSync } from 'node:fs';
import { policyByName } from '../policies/registry';
import { engineReplayCluster } from './engine-cluster';
import { parseTraceNodes, parseTracePods } from './trace-csv';
import { replayWorkload, type ReplayResult } from './trace-replay';

export interface ReplayTraceOptions {
  /** Path of the node list CSV (`sn,cpu_milli,memory_mib,gpu,model`). */
  readonly nodesCsv: string;
  /** Path of the pod list CSV (`name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,...]`). */
  readonly podsCsv: string;
  /** A registered policy name (bestfit, fgd, switchyard, ...). */
  readonly policy: string;
  readonly seeds: readonly number[];
  /** Workload size as a multiple of the cluster's GPU capacity (the published experiment uses 1.3). */
  readonly tune: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Runs the published trace experiment through the placement engine; reads the two CSV files, nothing else. */
export function replayTrace(opts: ReplayTraceOptions): ReplayResult {
  const policy = policyByName(opts.policy);
  const nodes = parseTraceNodes(readFileSync(opts.nodesCsv, 'utf8'), opts.nodesCsv);
  const pods = parseTracePods(readFileSync(opts.podsCsv, 'utf8'), opts.podsCsv);
  return replayWorkload({
    nodes,
    pods,
    policy,
    seeds: opts.seeds,
    tune: opts.tune,
    cluster: engineReplayCluster,
    onProgress: opts.onProgress,
  });
}
