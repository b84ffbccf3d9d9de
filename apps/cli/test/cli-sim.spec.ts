/**
 * `switchyard sim` as a real process: serves the embedded Kubernetes API with the topology's
 * nodes and writes a kubeconfig, until SIGTERM, then exits 0. `bench e2e` is only checked for
 * its usage here: a run takes minutes (bench/e2e records its figures).
 */
import type { ChildProcess } from 'node:child_process';
import { get } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { generateTopology, stringifyTopology } from '@switchyard/contracts';
import { cli, spawnCli } from './cli-harness';

let dir: string;
let child: ChildProcess | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-sim-'));
});
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

/** GET over the sim's TLS, trusting only the CA its kubeconfig names, as kubectl would. */
function getJson(url: string, kubeconfig: Kubeconfig): Promise<{ status: number; body: unknown }> {
  const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64');
  const headers = { Authorization: `Bearer ${kubeconfig.users[0].user.token}` };
  return new Promise((resolve, reject) => {
    get(url, { ca, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    }).on('error', reject);
  });
}

describe('sim (real process, real HTTPS)', () => {
  it('serves /version and the topology nodes, writes the kubeconfig under SWITCHYARD_DATA_DIR, exits 0 on SIGTERM', async () => {
    const topology = generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 2 });
    const topologyFile = join(dir, 'small.yaml');
    writeFileSync(topologyFile, stringifyTopology(topology));
    const dataDir = join(dir, 'data');
    child = spawnCli(['sim', '--topology', topologyFile, '--port', '0'], { env: { SWITCHYARD_DATA_DIR: dataDir } });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /embedded Kubernetes API at (https:\/\/\S+) /.exec(stdout);
        if (match && stdout.includes(`kubeconfig written to ${kubeconfigPath}`)) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`sim exited ${code} before serving: ${stderr}`)));
    });
    expect(stdout).toContain(`with ${topology.nodes.length} simulated GPU nodes`);

    const kubeconfig = parse(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
    expect(kubeconfig.clusters[0].cluster.server).toBe(url);
    expect(statSync(kubeconfigPath).mode & 0o777).toBe(0o600);
    const version = await getJson(`${url}/version`, kubeconfig);
    expect(version.status).toBe(200);
    expect((version.body as { major: string }).major).toBe('1');
    const nodes = await getJson(`${url}/api/v1/nodes`, kubeconfig);
    expect(
      (nodes.body as { items: { metadata: { name: string } }[] }).items.map((n) => n.metadata.name).sort(),
    ).toEqual(topology.nodes.map((n) => n.name).sort());

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('SIGTERM: stopping\n');
    await expect(getJson(`${url}/version`, kubeconfig)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('sim usage errors (exit 2, nothing started)', () => {
  it.each([
    [['--port', '70000'], 'error: --port "70000": expected a whole number from 0 to 65535'],
    [['--port', 'http'], 'error: --port "http": expected a whole number from 0 to 65535'],
    [['--topology', 'no-such-file.yaml'], 'error: topology file no-such-file.yaml: no such file'],
    [['--frobnicate'], "error: unknown option '--frobnicate'"],
  ])('sim %j', async (args, message) => {
    const run = await cli(['sim', ...args], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(run.stdout).toBe('');
  });

  it('a kubeconfig that cannot be written is a usage error', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const run = await cli(['sim', '--kubeconfig', join(blocker, 'kubeconfig')], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(
      /^error: --kubeconfig .*a-file\/kubeconfig: cannot write there \((EEXIST|ENOTDIR)\)$/,
    );
  });

  it('an invalid topology lists its problems and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: switchyard.io/v1\nkind: Topology\n');
    const run = await cli(['sim', '--topology', file], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toMatch(/^error: .*bad\.yaml: invalid topology, \d+ problems?:$/);
  });

  it('--help names the options and the default kubeconfig path', async () => {
    const run = await cli(['sim', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: switchyard sim [options]');
    for (const option of ['--topology <file>', '--port <n>', '--kubeconfig <path>'])
      expect(run.stdout).toContain(option);
    expect(run.stdout).toContain('<SWITCHYARD_DATA_DIR or ./.switchyard>/kubeconfig');
  });
});

describe('bench e2e (usage only)', () => {
  it('--help names the preset, pods and --json', async () => {
    const run = await cli(['bench', 'e2e', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: switchyard bench e2e [options]');
    expect(run.stdout).toContain('"campus-200mw"');
    expect(run.stdout).toContain('--pods <n>');
    expect(run.stdout).toContain('{ nodes, pods, podsPerSecond, p99BindMillis }');
  });

  it.each([
    [['--pods', '0'], 'error: --pods "0": expected a whole number from 1 to 1000000'],
    [['--pods', 'many'], 'error: --pods "many": expected a whole number from 1 to 1000000'],
    [
      ['--preset', 'moon-base'],
      "error: option '--preset <name>' argument 'moon-base' is invalid. Allowed choices are demo, campus-200mw.",
    ],
  ])('bench e2e %j exits 2 before starting anything', async (args, message) => {
    const run = await cli(['bench', 'e2e', ...args], {
      env: { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(run.stdout).toBe('');
  });

  it('a DATABASE_URL that is not a postgresql:// URL exits 2 before starting anything', async () => {
    const run = await cli(['bench', 'e2e', '--pods', '10'], { env: { DATABASE_URL: 'mysql://db' } });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: DATABASE_URL must be a postgresql:// connection URL (or unset for the embedded database)',
    );
    expect(run.stdout).toBe('');
  });
});
