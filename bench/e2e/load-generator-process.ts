/**
 * The end-to-end benchmark's clients, in a process of their own (as a real cluster's clients
 * are not inside the scheduler): creates the pods through the Kubernetes API with N concurrent
 * creators (at most `ratePerSecond` pods a second, if given) and watches for their binding.
 * Argument: JSON LoadGeneratorOptions.
 *
 * stdout, one JSON line each: `{ "created": 0, "bound": 0 }` once its watch is up (it then waits for a
 * `go` line on stdin), `{ "created": n, "bound": n }` every 200 ms, then, after a
 * `stop` line on stdin, `{ "result": { first, created, bound } }`
 * with epoch milliseconds per pod name.
 */
import { createInterface } from 'node:readline';
import { SwitchyardCluster, type PodObject } from '@switchyard/kube';
import { BENCH_POD_MIXES, benchPod, type BenchPodMix } from './pod-shapes';

export interface LoadGeneratorOptions {
  readonly kubeconfig: string;
  readonly pods: number;
  readonly creators: number;
  /** Pods created per second at most (evenly spaced); unset, as fast as the creators go. */
  readonly ratePerSecond?: number;
  /** Which pod mix (default `e2e`). */
  readonly mix?: BenchPodMix;
  /** Pod names are `<prefix><i>` (default `bench-`), so that several generators can share a cluster. */
  readonly namePrefix?: string;
}

async function main(): Promise<void> {
  const { kubeconfig, pods, creators, ratePerSecond, mix, namePrefix } = JSON.parse(
    process.argv[2] ?? '{}',
  ) as LoadGeneratorOptions;
  const shapes = BENCH_POD_MIXES[mix ?? 'e2e'];
  const prefix = namePrefix ?? 'bench-';
  const cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: kubeconfig });
  const created: Record<string, number> = {};
  const bound: Record<string, number> = {};
  let createdCount = 0;
  let boundCount = 0;
  const watcher = cluster.podInformer({ fieldSelector: 'spec.schedulerName=switchyard' });
  const seen = (pod: PodObject) => {
    // Only this generator's pods: the cluster may hold other runs' pods already.
    if (pod.spec.nodeName && pod.metadata.name.startsWith(prefix) && bound[pod.metadata.name] === undefined) {
      bound[pod.metadata.name] = Date.now();
      boundCount += 1;
    }
  };
  watcher.addHandlers({ onAdd: seen, onUpdate: seen });
  await watcher.start();

  let stopped = false;
  let finish: () => void = () => undefined;
  let go: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const started = new Promise<void>((resolve) => (go = resolve));
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'stop') finish();
    if (line.trim() === 'go') go();
  });
  process.stdout.write(`${JSON.stringify({ created: 0, bound: 0 })}\n`);
  await started;
  const progress = setInterval(() => {
    process.stdout.write(`${JSON.stringify({ created: createdCount, bound: boundCount })}\n`);
  }, 200);

  const first = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: creators }, async () => {
      while (next < pods && !stopped) {
        const i = next++;
        if (ratePerSecond) {
          const wait = first + (i * 1000) / ratePerSecond - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        const shape = shapes[i % shapes.length];
        const name = `${prefix}${i}`;
        await cluster.pods.create(benchPod(name, shape));
        created[name] = Date.now();
        createdCount += 1;
      }
    }),
  );
  await done;
  stopped = true;
  clearInterval(progress);
  await watcher.stop();
  // A large line: exit only once it is all in the pipe.
  await new Promise<void>((resolve) =>
    process.stdout.write(`${JSON.stringify({ result: { first, created, bound } })}\n`, () => resolve()),
  );
}

void main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
