/**
 * The end-to-end benchmark's clients, in a process of their own (as a real cluster's clients
 * are not inside the scheduler): creates the pods through the Kubernetes API with N concurrent
 * creators and watches for their binding. Argument: JSON `{ kubeconfig, pods, creators }`.
 *
 * stdout, one JSON line each: `{ "created": 0, "bound": 0 }` once its watch is up (it then waits for a
 * `go` line on stdin), `{ "created": n, "bound": n }` every 200 ms, then, after a
 * `stop` line on stdin, `{ "result": { first, created, bound } }`
 * with epoch milliseconds per pod name.
 */
import { createInterface } from 'node:readline';
import { SwitchyardCluster, type PodObject } from '@switchyard/kube';
import { BENCH_POD_SHAPES } from './pod-shapes';

async function main(): Promise<void> {
  const { kubeconfig, pods, creators } = JSON.parse(process.argv[2] ?? '{}') as {
    kubeconfig: string;
    pods: number;
    creators: number;
  };
  const cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: kubeconfig });
  const created: Record<string, number> = {};
  const bound: Record<string, number> = {};
  let createdCount = 0;
  let boundCount = 0;
  const watcher = cluster.podInformer({ fieldSelector: 'spec.schedulerName=switchyard' });
  const seen = (pod: PodObject) => {
    if (pod.spec.nodeName && bound[pod.metadata.name] === undefined) {
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
        const shape = BENCH_POD_SHAPES[i % BENCH_POD_SHAPES.length];
        const name = `bench-${i}`;
        await cluster.pods.create({
          metadata: { name, namespace: 'default', annotations: shape.annotations },
          spec: {
            schedulerName: 'switchyard',
            containers: [
              {
                name: 'model',
                image: 'busybox',
                resources: {
                  requests: { cpu: '1', memory: '4Gi' },
                  ...(shape.gpus ? { limits: { 'nvidia.com/gpu': String(shape.gpus) } } : {}),
                },
              },
            ],
          },
        } as PodObject);
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
