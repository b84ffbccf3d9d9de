#!/usr/bin/env node
// `npm run bench [-- name ...]`: builds, runs the benchmarks, prints their figures and appends them,
// with the date and the machine, to bench/RESULTS.md ("Recorded runs"). Tests never time anything;
// this is where speed is measured.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const traces = path.resolve(root, '../shared/traces/alibaba-gpu-v2023');
const cli = ['dist/apps/cli/src/main.js'];

/** name -> [command line, what to record from its JSON output] */
const benchmarks = {
  placement: [
    [...cli, 'bench', 'placement', '--preset', 'campus-200mw', '--pods', '100000', '--json'],
    (r) =>
      `${r.placementsPerSecond} placements/s, p50 ${r.p50Micros} us, p99 ${r.p99Micros} us, RSS ${r.rssMiB} MiB, ${r.violations} violations (${r.nodes} nodes, ${r.pods} pods)`,
  ],
  replay: [
    [
      ...cli,
      'replay',
      '--nodes',
      `${traces}/openb_node_list_gpu_node.csv`,
      '--pods',
      `${traces}/openb_pod_list_default.csv`,
      '--policy',
      'switchyard',
      '--seeds',
      '42-51',
      '--tune',
      '1.3',
      '--json',
      '--out',
      'bench/out/replay',
    ],
    (r) =>
      `default trace, ${r.policy}: ${['100', '110', '120', '130'].map((k) => `${k}%: ${Number(r.allocation[k]).toFixed(2)}`).join(', ')}`,
  ],
  import: [
    ['dist/bench/inventory/import-campus.js', '--iterations', '200', '--json'],
    (r) =>
      `campus import ${r.importSeconds.toFixed(1)} s, re-import ${r.reimportSeconds.toFixed(1)} s, scope tree p50 ${r.scopesTree.p50Ms.toFixed(0)} ms p99 ${r.scopesTree.p99Ms.toFixed(0)} ms (${r.topology.nodes} nodes, ${r.topology.gpus} GPUs)`,
  ],
  scopes: [
    ['dist/bench/http/scopes-tree.js', '--iterations', '200', '--json'],
    (r) =>
      `GET /api/v1/scopes (${r.scopes} scopes): p50 ${r.sequential.p50Ms.toFixed(0)} ms, p99 ${r.sequential.p99Ms.toFixed(0)} ms; ${r.concurrent.concurrency} clients p99 ${r.concurrent.p99Ms.toFixed(0)} ms`,
  ],
  e2e: [
    [...cli, 'bench', 'e2e', '--preset', 'campus-200mw', '--pods', '20000', '--json'],
    (r) => `${r.podsPerSecond} pods/s, p99 bind ${r.p99BindMillis} ms (${r.nodes} nodes, ${r.pods} pods)`,
  ],
  stalls: [
    [...cli, 'bench', 'stalls', '--preset', 'campus-200mw', '--pods', '24000', '--json'],
    (r) =>
      [
        ...r.phases.map(
          (p) =>
            `${p.phase}: lag windows max ${p.lagWindows.maxMs} ms (${p.lagWindows.atOrAbove}/${p.lagWindows.samples} >= 100 ms), tick gaps max ${p.tickGaps.maxMs} ms, /healthz p99 ${p.healthz.p99Ms} ms`,
        ),
        ...r.takeovers.map(
          (t) => `takeover (${t.mode}, ${t.placedPods} pods): first bind ${t.firstBindMs} ms after the Lease`,
        ),
      ].join('; '),
  ],
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in benchmarks)) {
    console.error(`error: unknown benchmark "${name}"; known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
}

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os.loadavg()[0].toFixed(1)}`;
const rows = [];
let failed = false;
for (const name of wanted.length > 0 ? wanted : Object.keys(benchmarks)) {
  const [args, summarise] = benchmarks[name];
  if (!existsSync(path.join(root, args[0]))) {
    console.error(`${name}: skipped, ${args[0]} is not built`);
    continue;
  }
  console.log(`== ${name}: node ${args.join(' ')}`);
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
  });
  const json = run.stdout.slice(run.stdout.indexOf('{'));
  if (run.status !== 0) {
    console.error(`${name}: failed with exit code ${run.status}`);
    failed = true;
    continue;
  }
  const figures = summarise(JSON.parse(json));
  console.log(`${name}: ${figures}`);
  rows.push(`| ${new Date().toISOString().slice(0, 16)}Z | ${name} | ${figures} | ${machine} |`);
}
if (rows.length > 0) appendFileSync(path.join(root, 'bench/RESULTS.md'), `${rows.join('\n')}\n`);
process.exit(failed ? 1 : 0);
