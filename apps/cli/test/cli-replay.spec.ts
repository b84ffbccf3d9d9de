import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli-harness';

/** A small cluster and workload in the trace's CSV format: 6 nodes of 8 GPUs, 60 pods. */
function writeTrace(dir: string): void {
  const nodes = [
    'sn,cpu_milli,memory_mib,gpu,model',
    ...Array.from({ length: 6 }, (_, i) => `node-${i},96000,786432,8,V100M32`),
  ];
  const shapes = [
    [1, 1000],
    [1, 500],
    [2, 1000],
    [1, 250],
    [4, 1000],
  ];
  const pods = [
    'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
  ];
  for (let i = 0; i < 60; i++) {
    const [gpus, milli] = shapes[i % shapes.length];
    pods.push(`pod-${String(i).padStart(3, '0')},4000,16384,${gpus},${milli},,LS,Running,0,1,0`);
  }
  writeFileSync(join(dir, 'nodes.csv'), `${nodes.join('\n')}\n`);
  writeFileSync(join(dir, 'pods.csv'), `${pods.join('\n')}\n`);
}

describe('replay', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-replay-'));
    writeTrace(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const base = ['replay', '--nodes', 'nodes.csv', '--pods', 'pods.csv'];

  it('prints { policy, seeds, allocation, perSeed } and writes the curve as CSV and SVG', async () => {
    const run = await cli(
      [...base, '--policy', 'fgd', '--seeds', '42-44', '--tune', '1.3', '--json', '--out', 'curves'],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ policy: 'fgd', seeds: [42, 43, 44] });
    expect(Object.keys(result.allocation).sort()).toEqual(['100', '110', '120', '130']);
    for (const value of Object.values(result.allocation) as number[]) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(100);
    }
    expect(result.perSeed.map((s: { seed: number }) => s.seed)).toEqual([42, 43, 44]);
    const csv = readFileSync(join(dir, 'curves', 'fgd-pods.csv'), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^demand_percent,/);
    expect(readFileSync(join(dir, 'curves', 'fgd-pods.svg'), 'utf8')).toMatch(/^<svg|<\?xml/);
    expect(run.stderr).toContain('wrote curves/fgd-pods.csv and curves/fgd-pods.svg');
  });

  it('prints a table of mean and spread at 100/110/120/130 by default', async () => {
    const run = await cli([...base, '--policy', 'bestfit', '--seeds', '1,2'], { cwd: dir });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^bestfit on pods\.csv: 6 GPU nodes, 48 GPUs, tune 1\.3, 2 seeds \(1,2\)$/);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['100%', '110%', '120%', '130%']);
    expect(lines[2]).toMatch(/^ {2}100% +\d+\.\d\d ± \d+\.\d\d {2}\(\d+\.\d\d\.\.\d+\.\d\d\)$/);
  });

  it.each([
    [['--seeds', '51-42'], 'error: --seeds "51-42": range 51-42 ends before it starts'],
    [['--seeds', 'x'], 'error: --seeds "x": expected seeds like 42-51 or 42,43 (non-negative integers)'],
    [['--tune', 'big'], 'error: --tune "big": expected a number from 0.1 to 5'],
    [['--policy', 'tetris'], 'error: --policy "tetris": unknown policy (known: '],
  ])('%j exits 2', async (args, message) => {
    const run = await cli([...base, ...args], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(message);
  });

  it('exits 2 for a missing file or option', async () => {
    const missing = await cli(['replay', '--nodes', 'nodes.csv', '--pods', 'nope.csv'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe('error: --pods nope.csv: no such file');
    const noPods = await cli(['replay', '--nodes', 'nodes.csv'], { cwd: dir });
    expect(noPods.code).toBe(2);
    expect(noPods.stderr.split('\n')[0]).toBe("error: required option '--pods <csv>' not specified");
  });

  it('exits 1 naming the file and line of a malformed trace', async () => {
    writeFileSync(
      join(dir, 'bad-pods.csv'),
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli\npod-0,4000,16384,one,1000\n',
    );
    const run = await cli(['replay', '--nodes', 'nodes.csv', '--pods', 'bad-pods.csv'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: invalid trace: .*bad-pods\.csv:2: num_gpu: /);
  });
});
