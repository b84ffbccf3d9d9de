/**
 * Starts the embedded Kubernetes API on an ephemeral port and connects the real client-node
 * to it over HTTP, through the same kubeconfig a user's kubectl would use.
 */
import { parse, stringify } from 'yaml';
import { startKubeSim } from '@switchyard/kube-sim';
import { SwitchyardCluster } from '@switchyard/kube';

export type KubeSim = Awaited<ReturnType<typeof startKubeSim>>;

export interface SimFixture {
  readonly sim: KubeSim;
  readonly cluster: SwitchyardCluster;
  /** Another, independent connection (a second control-plane process). */
  connectAgain(annotateAfterBind?: boolean): SwitchyardCluster;
  close(): Promise<void>;
}

export async function startSimFixture(options: Parameters<typeof startKubeSim>[0] = { port: 0 }): Promise<SimFixture> {
  const sim = await startKubeSim(options);
  const kubeconfig = allowPlainHttp(sim.kubeconfig());
  const cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: kubeconfig });
  return {
    sim,
    cluster,
    connectAgain: (annotateAfterBind = false) =>
      SwitchyardCluster.connect({ kind: 'yaml', yaml: kubeconfig }, { binder: { annotateAfterBind } }),
    close: () => sim.close(),
  };
}

export { eventually } from '../support/eventually';

/**
 * client-node 1.4.0 refuses `http://` servers unless the cluster entry has
 * `insecure-skip-tls-verify: true` (SIM-GAPS.md #1). A no-op once the simulator writes it.
 */
export function allowPlainHttp(kubeconfig: string): string {
  const doc = parse(kubeconfig) as { clusters: { cluster: Record<string, unknown> }[] };
  let changed = false;
  for (const c of doc.clusters) {
    if (String(c.cluster.server).startsWith('http:') && c.cluster['insecure-skip-tls-verify'] !== true) {
      c.cluster['insecure-skip-tls-verify'] = true;
      changed = true;
    }
  }
  return changed ? stringify(doc) : kubeconfig;
}
