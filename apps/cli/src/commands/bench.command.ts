import { Command, Option } from 'commander';
import { TOPOLOGY_PRESETS } from '@switchyard/contracts';
import { benchmarkPlacement, policyNames, type PlacementBenchResult } from '@switchyard/placement';
import { parseIntegerOption } from '../cli-arguments';
import { databaseTarget } from '../cli-database';
import { CommandFailure, UsageError } from '../cli-errors';
import { writeJson, type CliIo } from '../cli-io';

/** Presets the placement benchmark knows (`benchmarkPlacement` builds the cluster itself). */
const PLACEMENT_BENCH_PRESETS = ['campus-200mw'] as const;
const MAX_BENCH_PODS = 10_000_000;
/** Each end-to-end pod is a real object in the embedded API and a row in PostgreSQL. */
const MAX_E2E_PODS = 1_000_000;

type EndToEndBench = typeof import('../../../../bench/e2e/benchmark-e2e');
type StallBench = typeof import('../../../../bench/e2e/benchmark-stalls');

export function benchCommand(io: CliIo): Command {
  const bench = new Command('bench').description('benchmarks (figures to record in bench/RESULTS.md)');

  bench
    .command('placement')
    .description(
      'place a stream of mixed pods (fractional, 1-8 GPUs, 2-node gangs) on a campus with the placement engine alone',
    )
    .addOption(
      new Option('--preset <name>', 'cluster to build').choices(PLACEMENT_BENCH_PRESETS).default('campus-200mw'),
    )
    .option('--pods <n>', 'replicas to place (a 2-node gang counts once)', '100000')
    .option('--policy <name>', 'scoring policy (default: the engine default)')
    .option('--seed <n>', 'seed of the request stream', '42')
    .option(
      '--json',
      'print { nodes, gpus, pods, placementsPerSecond, p50Micros, p99Micros, rssMiB, violations, ... } as JSON',
    )
    .addHelpText('after', '\nExits 1 if any hard constraint is violated at the end (the count must be 0).')
    .action(
      (options: {
        preset: (typeof PLACEMENT_BENCH_PRESETS)[number];
        pods: string;
        policy?: string;
        seed: string;
        json?: boolean;
      }) => {
        const pods = parseIntegerOption(options.pods, '--pods', 1, MAX_BENCH_PODS);
        const seed = parseIntegerOption(options.seed, '--seed', 0, 0xffffffff);
        const policy = options.policy === undefined ? undefined : knownPolicy(options.policy);
        io.stderr.write(
          `bench placement: building ${options.preset} and placing ${pods} replicas${policy ? ` with ${policy}` : ''}...\n`,
        );
        const result = benchmarkPlacement({ preset: options.preset, pods, seed, ...(policy ? { policy } : {}) });
        if (options.json) writeJson(io, result);
        else io.stdout.write(`${describePlacementBench(result)}\n`);
        if (result.violations !== 0)
          throw new CommandFailure(
            `${result.violations} hard-constraint violation(s) after the run; the engine is wrong`,
          );
      },
    );

  bench
    .command('e2e')
    .description(
      'create pods through the Kubernetes API until all are bound: embedded API in a child process, the control plane ' +
        'scheduler on PostgreSQL (DATABASE_URL, else TEST_DATABASE_URL, else the local server) in a throw-away schema',
    )
    .addOption(new Option('--preset <name>', 'simulated cluster').choices(TOPOLOGY_PRESETS).default('campus-200mw'))
    .option('--pods <n>', 'pods to create and bind', '20000')
    .option('--json', 'print { nodes, pods, podsPerSecond, p99BindMillis } as JSON')
    .action(async (options: { preset: (typeof TOPOLOGY_PRESETS)[number]; pods: string; json?: boolean }) => {
      const pods = parseIntegerOption(options.pods, '--pods', 1, MAX_E2E_PODS);
      // A malformed DATABASE_URL is a usage error here too; unset, the benchmark takes the local test server.
      const databaseUrl = databaseTarget(io).databaseUrl ?? (io.env.TEST_DATABASE_URL?.trim() || undefined);
      // Loaded here, not at the top: the other commands should not pay for the Kubernetes runtime.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, and resolvable from both src (jest) and dist
      const { benchmarkEndToEnd } = require('../../../../bench/e2e/benchmark-e2e') as EndToEndBench;
      io.stderr.write(`bench e2e: ${options.preset}, ${pods} pods through the Kubernetes API...\n`);
      const r = await benchmarkEndToEnd({
        preset: options.preset,
        pods,
        ...(databaseUrl ? { databaseUrl } : {}),
        log: (line) => io.stderr.write(`${line}\n`),
      });
      const result = { nodes: r.nodes, pods: r.pods, podsPerSecond: r.podsPerSecond, p99BindMillis: r.p99BindMillis };
      if (options.json) writeJson(io, result);
      else
        io.stdout.write(
          `${[
            ['cluster', `${options.preset}: ${result.nodes} nodes`],
            ['pods bound', String(result.pods)],
            ['pods/s', String(result.podsPerSecond)],
            ['p99 bind', `${result.p99BindMillis} ms (create answered -> bind observed)`],
          ]
            .map(([k, v]) => `${k.padEnd(13)} ${v}`)
            .join('\n')}\n`,
        );
    });

  bench
    .command('stalls')
    .description(
      'event-loop stalls and /healthz latency of a control plane (HTTP app and Kubernetes runtime in one process, ' +
        'topology from SWITCHYARD_SEED_TOPOLOGY) under scheduling load, then leader takeovers with the cluster filled',
    )
    .addOption(new Option('--preset <name>', 'simulated cluster').choices(TOPOLOGY_PRESETS).default('campus-200mw'))
    .option('--pods <n>', 'pods of the e2e mix created under load', '24000')
    .option('--rate <n>', 'pods created per second under load', '400')
    .option('--fill <n>', 'pods placed in all (quarter- and half-GPU pods added) before the takeovers', '100000')
    .option(
      '--takeovers <modes>',
      'leader stops, in order: release (SIGTERM, Lease released) or kill (SIGKILL)',
      'release,kill',
    )
    .option('--idle-seconds <n>', 'seconds measured with nothing to schedule after each load', '30')
    .option('--json', 'print { nodes, phases, takeovers, loadAverage, ... } as JSON')
    .action(
      async (options: {
        preset: (typeof TOPOLOGY_PRESETS)[number];
        pods: string;
        rate: string;
        fill: string;
        takeovers: string;
        idleSeconds: string;
        json?: boolean;
      }) => {
        const databaseUrl = databaseTarget(io).databaseUrl ?? (io.env.TEST_DATABASE_URL?.trim() || undefined);
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, as for e2e
        const stalls = require('../../../../bench/e2e/benchmark-stalls') as StallBench;
        let takeovers: ReturnType<StallBench['parseTakeovers']>;
        try {
          takeovers = stalls.parseTakeovers(options.takeovers);
        } catch (error) {
          throw new UsageError(`--takeovers: ${(error as Error).message}`);
        }
        const run = {
          preset: options.preset,
          pods: parseIntegerOption(options.pods, '--pods', 1, MAX_E2E_PODS),
          ratePerSecond: parseIntegerOption(options.rate, '--rate', 1, 100_000),
          fillPods: parseIntegerOption(options.fill, '--fill', 0, MAX_E2E_PODS),
          idleSeconds: parseIntegerOption(options.idleSeconds, '--idle-seconds', 0, 3600),
          takeovers,
        };
        io.stderr.write(
          `bench stalls: ${run.preset}, ${run.pods} pods at ${run.ratePerSecond}/s, filled to ${run.fillPods}...\n`,
        );
        const result = await stalls.benchmarkStalls({
          ...run,
          ...(databaseUrl ? { databaseUrl } : {}),
          log: (line) => io.stderr.write(`${line}\n`),
        });
        if (options.json) writeJson(io, result);
        else io.stdout.write(`${stalls.describeStallBench(result)}\n`);
      },
    );

  return bench;
}

/** A policy the engine knows, else a usage error listing the known ones. */
export function knownPolicy(name: string): string {
  const known = policyNames();
  if (!known.includes(name))
    throw new UsageError(`--policy ${JSON.stringify(name)}: unknown policy (known: ${known.join(', ')})`);
  return name;
}

function describePlacementBench(r: PlacementBenchResult): string {
  const rows: Array<[string, string]> = [
    ['cluster', `${r.preset}: ${r.nodes} nodes, ${r.gpus} GPUs (built in ${r.buildMillis} ms)`],
    ['policy', r.policy],
    ['replicas', `${r.pods} (${r.placed} placed, ${r.unplaced} unplaced, ${r.releases} released to hold utilisation)`],
    ['placements/s', String(r.placementsPerSecond)],
    ['latency', `p50 ${r.p50Micros} us, p99 ${r.p99Micros} us, max ${r.maxMicros} us (wall clock)`],
    [
      'cpu time',
      `${r.placementsPerCpuSecond} placements per CPU second, p50 ${r.p50CpuMicros} us, p99 ${r.p99CpuMicros} us`,
    ],
    ['memory', `RSS ${r.rssMiB} MiB, heap ${r.heapMiB} MiB`],
    ['violations', String(r.violations)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}
