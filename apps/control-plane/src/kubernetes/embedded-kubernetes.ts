import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModelDeploymentCrd, parseTopology } from '@switchyard/contracts';
import { SwitchyardCluster } from '@switchyard/kube';
import { startKubeSim, type KubeSim } from '@switchyard/kube-sim';
import { parse, stringify } from 'yaml';

export interface EmbeddedKubernetesOptions {
  readonly dataDir: string;
  readonly topologyFile: string;
  readonly kubeletDelayMs?: number;
  readonly port?: number;
}

export interface EmbeddedKubernetes {
  readonly sim: KubeSim;
  readonly kubeconfigPath: string;
  readonly cluster: SwitchyardCluster;
}

/**
 * The embedded Kubernetes API of libs/kube-sim with simulated GPU nodes from a topology file,
 * its kubeconfig in `dataDir/kubeconfig` (for kubectl), and the ModelDeployment CRD applied.
 */
export async function startEmbeddedKubernetes(options: EmbeddedKubernetesOptions): Promise<EmbeddedKubernetes> {
  const sim = await startKubeSim({
    port: options.port ?? 0,
    topology: parseTopology(readFileSync(options.topologyFile, 'utf8')),
    kubeletDelayMs: options.kubeletDelayMs ?? 500,
    tls: false,
  });
  try {
    mkdirSync(options.dataDir, { recursive: true });
    const kubeconfigPath = join(options.dataDir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfigPath);
    const cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: allowPlainHttp(sim.kubeconfig()) });
    await applyModelDeploymentCrd(cluster);
    return { sim, kubeconfigPath, cluster };
  } catch (error) {
    await sim.close();
    throw error;
  }
}

/** Create the ModelDeployment CRD (generated from the contract) unless it exists; for the embedded API. */
export async function applyModelDeploymentCrd(cluster: SwitchyardCluster): Promise<void> {
  try {
    await cluster.connection.request({
      method: 'POST',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      body: buildModelDeploymentCrd(),
    });
  } catch (error) {
    if ((error as { status?: number }).status !== 409) throw error;
  }
  // The API serves the new resource once it is established; wait for its discovery entry.
  for (let i = 0; i < 50; i += 1) {
    try {
      await cluster.modelDeployments.list();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * client-node 1.4.0 refuses an `http://` server unless the cluster entry says
 * `insecure-skip-tls-verify: true` (test/kube/SIM-GAPS.md #1); kubectl does not need it.
 */
function allowPlainHttp(kubeconfig: string): string {
  const doc = parse(kubeconfig) as { clusters?: { cluster: Record<string, unknown> }[] };
  for (const c of doc.clusters ?? [])
    if (String(c.cluster.server).startsWith('http:')) c.cluster['insecure-skip-tls-verify'] = true;
  return stringify(doc);
}
