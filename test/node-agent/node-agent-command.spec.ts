/**
 * `switchyard node-agent` as a real process against the embedded Kubernetes API, with a fake
 * nvidia-smi first on its PATH: limits applied from the pods' annotations, changed live, put back
 * when changed behind its back, restored when a pod goes, and reported back on the pods.
 * Its node is not one the embedded API simulates, so the simulated kubelet leaves it to the agent.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANNOTATION } from '@switchyard/contracts';
import { startKubeSim, type KubeSim, type KubeObject } from '@switchyard/kube-sim';
import { cli, spawnCli } from '../../apps/cli/test/cli-harness';
import { eventually } from '../support/eventually';
import { FakeNvidiaSmi } from './fixtures/fake-nvidia-smi';
import { createBoundPod, reportedLimit } from './sim-pods';

const NODE = 'gpu-real-1';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const children: ChildProcess[] = [];
const fakes: FakeNvidiaSmi[] = [];

beforeAll(async () => {
  sim = await startKubeSim({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'switchyard-node-agent-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfig());
});

/** An agent a failed test left running would act in the next test. */
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  for (const fake of fakes) fake.remove();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Four GPUs whose driver says 600 W default, 150..650 W: not the simulator's H200 numbers. */
function fakeGpus(): FakeNvidiaSmi {
  const fake = new FakeNvidiaSmi(
    Array.from({ length: 4 }, (_, index) => ({ index, limit: 600, default: 600, min: 150, max: 650 })),
  );
  fakes.push(fake);
  return fake;
}

const pods = () => sim.api.type('', 'pods');

const createPod = (name: string, node: string, annotations: Record<string, string>) =>
  createBoundPod(sim, name, node, annotations);
const reported = (name: string) => reportedLimit(sim, name);

function startAgent(fake: FakeNvidiaSmi, ...extra: string[]): { child: ChildProcess; output: () => string } {
  const child = spawnCli(['node-agent', '--node', NODE, '--kubeconfig', kubeconfig, '--interval', '0.5', ...extra], {
    env: fake.env({ LOG_LEVEL: 'debug' }),
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('switchyard node-agent (real process, embedded API, fake nvidia-smi)', () => {
  it('applies, follows, re-applies and restores limits, and reports them on the pods', async () => {
    const fake = fakeGpus();
    createPod('capped', NODE, { [ANNOTATION.gpus]: '0=GPU-a,1=GPU-b', [ANNOTATION.powerLimitWatts]: '400' });
    createPod('garbled', NODE, { [ANNOTATION.gpus]: '2=GPU-c', [ANNOTATION.powerLimitWatts]: 'four hundred' });
    createPod('uncapped', NODE, { [ANNOTATION.gpus]: '3=GPU-d' });
    createPod('elsewhere', 'gpu-real-2', { [ANNOTATION.gpus]: '0=GPU-e', [ANNOTATION.powerLimitWatts]: '300' });
    const { child, output } = startAgent(fake);

    await eventually(
      () => ['capped', 'garbled', 'uncapped'].every((name) => reported(name)[1] !== undefined),
      30_000,
      `every pod on the node reported\n${output()}`,
    );
    expect(fake.setCalls().sort()).toEqual(['-i 0 -pl 400', '-i 1 -pl 400', '-i 2 -pl 420']);
    expect(reported('capped')).toEqual(['400', 'requested']);
    expect(reported('garbled')).toEqual(['420', 'malformed']);
    expect(reported('uncapped')).toEqual(['600', 'default']);
    expect(reported('elsewhere')).toEqual([undefined, undefined]);
    expect(output()).toMatch(/four hundred.*"msg":"pod power limit not as requested"/);

    // The power loop lowers the cap live.
    const capped = sim.api.get(pods(), 'default', 'capped') as KubeObject;
    sim.api.patch(pods(), 'v1', 'default', 'capped', 'merge', {
      metadata: { annotations: { [ANNOTATION.powerLimitWatts]: '300' } },
    });
    await eventually(() => reported('capped')[0] === '300', 10_000, 'the lowered cap reported');
    expect([fake.limit(0), fake.limit(1)]).toEqual([300, 300]);

    // Someone runs nvidia-smi by hand: the next period puts the limit back.
    const state = fake.gpus().map((g) => (g.index === 3 ? { ...g, limit: 500 } : g));
    writeFileSync(fake.env().FAKE_NVIDIA_SMI_STATE!, JSON.stringify({ gpus: state }));
    await eventually(() => fake.limit(3) === 600, 10_000, 'GPU 3 back at its default');

    // The pod goes: its GPUs go back to their default.
    sim.api.delete(pods(), 'default', 'capped', { gracePeriodSeconds: 0, preconditions: { uid: capped.metadata.uid } });
    await eventually(() => fake.limit(0) === 600 && fake.limit(1) === 600, 10_000, 'GPUs 0 and 1 restored');
    expect(fake.setCalls().filter((c) => /^-i [01] /.test(c))).toEqual([
      '-i 0 -pl 400',
      '-i 1 -pl 400',
      '-i 0 -pl 300',
      '-i 1 -pl 300',
      '-i 0 -pl 600',
      '-i 1 -pl 600',
    ]);
    expect(fake.setCalls()).not.toContain('-i 2 -pl 600');

    expect(await stop(child)).toBe(0);
    expect(output()).toContain('SIGTERM: stopping');
    // Stopping the agent leaves the limits of running pods alone.
    expect(fake.limit(2)).toBe(420);
    for (const name of ['garbled', 'uncapped']) sim.api.delete(pods(), 'default', name, { gracePeriodSeconds: 0 });
  });

  it('--dry-run logs what it would do and changes nothing', async () => {
    const fake = fakeGpus();
    createPod('dry', NODE, { [ANNOTATION.gpus]: '1=GPU-b', [ANNOTATION.powerLimitWatts]: '250' });
    const { child, output } = startAgent(fake, '--dry-run');
    await eventually(() => /would annotate the pod/.test(output()), 30_000, `the dry-run log\n${output()}`);
    expect(output()).toMatch(/"gpu":1,"fromWatts":600,"toWatts":250,"msg":"dry run: would set the GPU power limit"/);
    expect(await stop(child)).toBe(0);
    expect(fake.setCalls()).toEqual([]);
    expect(reported('dry')).toEqual([undefined, undefined]);
  });

  it('refuses bad usage with exit 2 and a missing driver with exit 1', async () => {
    const fake = fakeGpus();
    const run = (argv: string[], env: NodeJS.ProcessEnv = fake.env()) =>
      cli(['node-agent', ...argv], { env, cwd: dir });
    expect(await run(['--kubeconfig', kubeconfig])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--node is required (or NODE_NAME in the environment)'),
    });
    expect(await run(['--node', 'Not_A_Node', '--kubeconfig', kubeconfig])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('not a Kubernetes node name'),
    });
    expect(await run(['--node', NODE, '--interval', 'soon', '--kubeconfig', kubeconfig])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--interval "soon": expected a number'),
    });
    expect(await run(['--kubeconfig', 'missing.yaml'], fake.env({ NODE_NAME: NODE }))).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--kubeconfig missing.yaml: no such file'),
    });
    expect(await run(['--node', NODE, '--kubeconfig', kubeconfig], { PATH: dir })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("cannot read the GPUs' power limits: nvidia-smi: not found"),
    });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--node <name>[\s\S]*--interval <seconds>[\s\S]*--kubeconfig <path>[\s\S]*--dry-run/);
  });
});
