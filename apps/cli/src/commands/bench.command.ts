import { Command, Option } from 'commander';
import { benchmarkPlacement, policyNames, type PlacementBenchResult } from '@switchyard/placement';
import { parseIntegerOption } from '../cli-arguments';
import { CommandFailure, UsageError } from '../cli-errors';
import { writeJson, type CliIo } from '../cli-io';

/** Presets the placement benchmark knows (`benchmarkPlacement` builds the cluster itself). */
const PLACEMENT_BENCH_PRESETS = ['campus-200mw'] as const;
const MAX_BENCH_PODS = 10_000_000;

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
