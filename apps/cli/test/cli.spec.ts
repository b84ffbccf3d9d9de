import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../src/run-cli';
import { cli, cliProcess } from './cli-harness';

const REPO = join(__dirname, '../../..');
const DEMO = join(REPO, 'deploy/examples/topology-demo.yaml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every command path, e.g. ['topology', 'generate']. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('conventions', () => {
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '.' };
  const paths = [[], ...commandPaths(buildProgram(io))];

  it.each(paths.map((p) => [p.join(' ') || '(root)', p]))('%s --help prints usage and exits 0', async (_name, path) => {
    const run = await cli([...path, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: switchyard${path.length ? ` ${path.join(' ')}` : ''}`);
    expect(run.stderr).toBe('');
  });

  it('exits 2 with one line naming an unknown command', async () => {
    const run = await cli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("error: unknown command 'frobnicate'\n(add --help for usage)\n");
  });

  it('exits 2 on an unknown option', async () => {
    const run = await cli(['topology', 'validate', DEMO, '--colour']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: unknown option '--colour'\n/);
  });

  it('exits 2 without a command, showing the help on stderr', async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: switchyard');
  });

  it('prints its version', async () => {
    const run = await cli(['--version']);
    expect(run).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});

describe('topology generate', () => {
  it('writes the demo preset to stdout: the checked-in example', async () => {
    const run = await cli(['topology', 'generate', '--preset', 'demo']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(DEMO, 'utf8'));
  });

  it('writes to a file with -o', async () => {
    const out = join(dir, 'demo.yaml');
    const run = await cli(['topology', 'generate', '--preset', 'demo', '-o', 'demo.yaml'], { cwd: dir });
    expect(run).toEqual({ code: 0, stdout: '', stderr: 'wrote the demo topology to demo.yaml\n' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(DEMO, 'utf8'));
  });

  it.each([
    [
      ['--preset', 'campus'],
      "error: option '--preset <name>' argument 'campus' is invalid. Allowed choices are demo, campus-200mw.",
    ],
    [[], "error: required option '--preset <name>' not specified"],
    [
      ['--preset', 'demo', '-o', '/nonexistent-dir/x.yaml'],
      'error: --output /nonexistent-dir/x.yaml: cannot write it (ENOENT)',
    ],
  ])('rejects %j with exit 2', async (args, message) => {
    const run = await cli(['topology', 'generate', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(run.stdout).toBe('');
  });
});

describe('topology validate', () => {
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const demoText = () => readFileSync(DEMO, 'utf8');

  it('accepts the demo and summarises it', async () => {
    const run = await cli(['topology', 'validate', DEMO]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${DEMO}: valid: 2 halls, 8 rows, 64 racks, 256 nodes, 2048 GPUs, site 2 MW\n`);
  });

  it('lists every problem on stderr and exits 1', async () => {
    const file = write(
      'broken.yaml',
      demoText()
        .replace('capacityWatts: 2000000', 'capacityWatts: 0')
        .replace('name: gpu-a01-01-n2, rack: rack-a01-01', 'name: gpu-a01-01-n2, rack: rack-zz')
        .replace('oversubscriptionRatio: 1.1', 'oversubscriptionRatio: 0.5'),
    );
    const run = await cli(['topology', 'validate', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `error: ${file}: invalid topology, 3 problems:`,
      '  site.capacityWatts: must be > 0',
      '  halls[0].oversubscriptionRatio: must be >= 1',
      '  nodes[1].rack: unknown rack "rack-zz"',
    ]);
  });

  it('prints { valid, problems, summary } with --json', async () => {
    const file = write('bad-json.yaml', demoText().replace('capacityWatts: 40000', 'capacityWatts: -40000'));
    const bad = await cli(['topology', 'validate', file, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({
      valid: false,
      problems: [{ path: 'halls[0].rows[0].racks[0].capacityWatts', message: 'must be > 0' }],
      summary: null,
    });
    expect(bad.stderr).toBe('');
    const good = await cli(['topology', 'validate', DEMO, '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({
      valid: true,
      problems: [],
      summary: expect.objectContaining({ nodes: 256, gpus: 2048, racks: 64 }),
    });
  });

  it('reports YAML syntax errors with their line', async () => {
    const file = write('syntax.yaml', 'apiVersion: switchyard.io/v1alpha1\nkind: Topology\nsite: { name: x\n');
    const run = await cli(['topology', 'validate', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error: .*syntax\.yaml: invalid topology, 1 problem:\n {2}\(document\): invalid YAML: line \d+, column \d+: /,
    );
  });

  it('exits 2 for a missing file', async () => {
    const run = await cli(['topology', 'validate', 'no-such.yaml'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('error: topology file no-such.yaml: no such file');
  });
});

describe('as a process', () => {
  it('separates data (stdout) from errors (stderr) and sets the exit code', () => {
    const ok = cliProcess(['topology', 'validate', DEMO, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true });
    const usage = cliProcess(['topology', 'validate', 'missing.yaml']);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toContain('error: topology file missing.yaml: no such file');
    expect(usage.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });
});

describe('bench placement', () => {
  it('prints the figures as JSON', async () => {
    const run = await cli(['bench', 'placement', '--preset', 'campus-200mw', '--pods', '300', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toEqual(
      expect.objectContaining({
        nodes: 15_000,
        gpus: 120_000,
        pods: 300,
        placementsPerSecond: expect.any(Number),
        p50Micros: expect.any(Number),
        p99Micros: expect.any(Number),
        rssMiB: expect.any(Number),
        violations: 0,
      }),
    );
    expect(run.stderr).toContain('bench placement: building campus-200mw and placing 300 replicas');
  });

  it.each([
    [['--pods', 'many'], 'error: --pods "many": expected a whole number from 1 to 10000000'],
    [['--policy', 'tetris'], 'error: --policy "tetris": unknown policy (known: '],
    [
      ['--preset', 'demo'],
      "error: option '--preset <name>' argument 'demo' is invalid. Allowed choices are campus-200mw.",
    ],
  ])('%j exits 2', async (args, message) => {
    const run = await cli(['bench', 'placement', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(message);
    expect(run.stdout).toBe('');
  });
});
