/**
 * The embedded Kubernetes API in a process of its own (the control-plane replicas under test
 * must not share its event loop). Prints one JSON line `{ url, kubeconfig }` when listening;
 * SIGTERM closes it. Argument: a topology generator shape as JSON.
 */
import { generateTopology, type TopologyPreset } from '@switchyard/contracts';
import { startKubeSim, type FaultOptions } from '@switchyard/kube-sim';

async function main(): Promise<void> {
  const shape = JSON.parse(process.argv[2] ?? '{}') as {
    preset?: TopologyPreset;
    halls?: number;
    rowsPerHall?: number;
    racksPerRow?: number;
    faults?: FaultOptions;
  };
  const { faults, preset, ...topologyShape } = shape;
  const sim = await startKubeSim({
    port: 0,
    topology: generateTopology(preset ?? 'demo', topologyShape),
    kubeletDelayMs: 20,
    tls: false,
    ...(faults ? { faults } : {}),
  });
  process.stdout.write(`${JSON.stringify({ url: sim.url, kubeconfig: sim.kubeconfig() })}\n`);
  process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
}

void main().catch((error) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
