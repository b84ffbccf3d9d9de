/** The agent's loop on simulated GPUs and in-memory pods: what it sets, what it reports, what it survives. */
import { ANNOTATION } from '@switchyard/contracts';
import { NodePowerAgent, SimulatedGpuPower, type AgentLogger, type NodePod } from '@switchyard/node-agent';
import { pod } from './builders';

class Pods {
  list: NodePod[] = [];
  patches: [string, Record<string, string | null>][] = [];
  failWith: Error | null = null;
  pods = () => this.list;
  annotate = (key: string, annotations: Record<string, string | null>) => {
    if (this.failWith) return Promise.reject(this.failWith);
    this.patches.push([key, annotations]);
    this.list = this.list.map((p) => (p.key === key ? { ...p, annotations: merge(p.annotations, annotations) } : p));
    return Promise.resolve();
  };
}

function merge(
  current: Readonly<Record<string, string>>,
  patch: Record<string, string | null>,
): Record<string, string> {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

const logs: string[] = [];
const logger: AgentLogger = {
  debug: () => undefined,
  info: (_o, msg) => logs.push(msg),
  warn: (_o, msg) => logs.push(msg),
  error: (_o, msg) => logs.push(msg),
};
const h200 = (count: number) =>
  new SimulatedGpuPower(
    Array.from({ length: count }, (_, index) => ({ index, defaultWatts: 700, minWatts: 200, maxWatts: 700 })),
  );

beforeEach(() => (logs.length = 0));

describe('NodePowerAgent', () => {
  it('sets the limits, reports them once, and does nothing more while nothing changes', async () => {
    const gpus = h200(2);
    const pods = new Pods();
    pods.list = [pod('a', [1], 300)];
    const agent = new NodePowerAgent({ pods, actuator: gpus, reporter: pods, logger });
    const first = await agent.reconcile();
    expect(first.plan.actions).toEqual([{ index: 1, fromWatts: 700, toWatts: 300 }]);
    expect(gpus.limitWatts(1)).toBe(300);
    expect(pods.patches).toEqual([
      ['default/a', { [ANNOTATION.enforcedPowerLimitWatts]: '300', [ANNOTATION.powerLimitEnforcement]: 'requested' }],
    ]);
    const second = await agent.reconcile();
    expect([second.plan.actions, second.annotated]).toEqual([[], []]);
  });

  it('reports the limit in force when the driver refuses, and keeps going', async () => {
    const gpus = h200(1);
    gpus.setLimit = () => Promise.reject(new Error('Insufficient Permissions'));
    const pods = new Pods();
    pods.list = [pod('a', [0], 300)];
    const outcome = await new NodePowerAgent({ pods, actuator: gpus, reporter: pods, logger }).reconcile();
    expect(outcome.failed).toEqual([{ index: 0, fromWatts: 700, toWatts: 300 }]);
    expect(outcome.reports).toEqual([
      { key: 'default/a', enforcedWatts: 700, enforcement: 'failed', detail: expect.any(String) },
    ]);
    expect(logs).toContain('cannot set the GPU power limit');
  });

  it('coalesces a burst of triggers, and a failing reconcile or report does not end the loop', async () => {
    const gpus = h200(1);
    let reads = 0;
    const read = gpus.readGpus.bind(gpus);
    gpus.readGpus = () => {
      reads += 1;
      return reads === 1 ? Promise.reject(new Error('nvidia-smi: no answer')) : read();
    };
    const pods = new Pods();
    pods.list = [pod('a', [0], 250)];
    pods.failWith = new Error('connection refused');
    const agent = new NodePowerAgent({ pods, actuator: gpus, reporter: pods, logger });
    await agent.trigger();
    expect(logs).toContain('reconcile failed; retrying on the next event or period');
    await Promise.all([agent.trigger(), agent.trigger(), agent.trigger()]);
    // One reconcile for the burst: a read before, a read after setting the limit.
    expect(reads).toBe(3);
    expect(gpus.limitWatts(0)).toBe(250);
    expect(logs).toContain('cannot report the enforced power limit');
    pods.failWith = null;
    await agent.trigger();
    expect(pods.patches.map(([key]) => key)).toEqual(['default/a']);
    await agent.stop();
  });
});
