import { readFile } from 'node:fs/promises';
import { generateTopology, parseTopology, type TopologyDocument } from '@switchyard/contracts';
import { startKubeSim, type KubeSim } from './kube-sim';

export interface KubeSimCommandOptions {
  /** Topology YAML; the demo preset when absent. */
  topologyFile?: string;
  /** Where to write the kubeconfig for kubectl. */
  kubeconfigPath: string;
  port?: number;
  host?: string;
  token?: string;
  kubeletDelayMs?: number;
  /** Where to print what was started (default: stdout). */
  log?: (line: string) => void;
}

/** `switchyard sim`: runs the embedded Kubernetes API alone, with the topology's GPU nodes, and writes a kubeconfig. */
export async function runKubeSimCommand(options: KubeSimCommandOptions): Promise<KubeSim> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const topology: TopologyDocument = options.topologyFile
    ? parseTopology(await readFile(options.topologyFile, 'utf8'))
    : generateTopology('demo');
  const sim = await startKubeSim({
    port: options.port ?? 0,
    host: options.host,
    token: options.token,
    topology,
    kubeletDelayMs: options.kubeletDelayMs,
  });
  try {
    await sim.writeKubeconfig(options.kubeconfigPath);
  } catch (error) {
    await sim.close(); // a server nobody can reach without its kubeconfig must not stay open
    throw error;
  }
  log(`embedded Kubernetes API at ${sim.url} with ${topology.nodes.length} simulated GPU nodes`);
  log(`kubeconfig written to ${options.kubeconfigPath}; try: kubectl --kubeconfig ${options.kubeconfigPath} get nodes`);
  return sim;
}
