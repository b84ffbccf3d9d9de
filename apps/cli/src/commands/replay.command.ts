import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import {
  DEFAULT_POLICY,
  REPORTED_DEMANDS,
  TraceFormatError,
  allocationCurveCsv,
  allocationCurveSvg,
  policyNames,
  replayTrace,
  type ReplayResult,
} from '@switchyard/placement';
import { parseNumberOption, parseSeeds, readInputFile } from '../cli-arguments';
import { CommandFailure, UsageError } from '../cli-errors';
import { writeJson, type CliIo } from '../cli-io';
import { startProgress, type Progress } from '../progress';
import { knownPolicy } from './bench.command';

export function replayCommand(io: CliIo): Command {
  return new Command('replay')
    .description(
      'replay a GPU cluster trace (Alibaba "openb" CSV) with a placement policy: GPU allocation at 100-130% arrived demand',
    )
    .requiredOption('--nodes <csv>', 'node list (sn,cpu_milli,memory_mib,gpu,model)')
    .requiredOption('--pods <csv>', 'pod list (name,cpu_milli,memory_mib,num_gpu,gpu_milli,...)')
    .option('--policy <name>', `placement policy (${policyNames().join(', ')})`, DEFAULT_POLICY)
    .option('--seeds <list>', 'seeds of the arrival order: 42-51 or 42,43', '42-51')
    .option('--tune <ratio>', 'workload size as a multiple of the GPU capacity', '1.3')
    .option('--out <dir>', 'where to write the allocation curve (CSV and SVG)', 'replay-out')
    .option('--json', 'print { policy, seeds, allocation: { "100", "110", "120", "130" }, perSeed, ... } as JSON')
    .addHelpText(
      'after',
      '\nExample (the published experiment, traces in ../shared/traces/alibaba-gpu-v2023/):\n' +
        '  switchyard replay --nodes openb_node_list_gpu_node.csv --pods openb_pod_list_default.csv --policy fgd --seeds 42-51 --tune 1.3',
    )
    .action(
      (options: {
        nodes: string;
        pods: string;
        policy: string;
        seeds: string;
        tune: string;
        out: string;
        json?: boolean;
      }) => {
        const seeds = parseSeeds(options.seeds);
        const tune = parseNumberOption(options.tune, '--tune', 0.1, 5);
        const policy = knownPolicy(options.policy);
        const nodes = readInputFile(io.cwd, options.nodes, '--nodes').path;
        const pods = readInputFile(io.cwd, options.pods, '--pods').path;
        const outDir = resolve(io.cwd, options.out);
        try {
          mkdirSync(outDir, { recursive: true });
        } catch (error) {
          throw new UsageError(
            `--out ${options.out}: cannot create it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
          );
        }

        let progress: Progress | undefined;
        let result: ReplayResult;
        try {
          result = replayTrace({
            nodesCsv: nodes,
            podsCsv: pods,
            policy,
            seeds,
            tune,
            onProgress: (done, total) => {
              progress ??= startProgress(io.stderr, `replay ${policy}`, total);
              progress.update(done);
            },
          });
        } catch (error) {
          if (error instanceof TraceFormatError) throw new CommandFailure(`invalid trace: ${error.message}`);
          if (error instanceof RangeError) throw new CommandFailure(`cannot replay: ${error.message}`);
          throw error;
        } finally {
          progress?.stop();
        }

        const stem = `${policy}-${basename(pods).replace(/\.csv$/i, '')}`;
        const csvPath = join(outDir, `${stem}.csv`);
        const svgPath = join(outDir, `${stem}.svg`);
        writeFileSync(csvPath, allocationCurveCsv(result));
        writeFileSync(
          svgPath,
          allocationCurveSvg(result, `${policy} on ${basename(pods)}, seeds ${options.seeds}, tune ${tune}`),
        );
        const shown = (path: string) => relative(io.cwd, path) || path;

        if (options.json) {
          writeJson(io, {
            policy: result.policy,
            seeds: result.seeds,
            allocation: result.allocation,
            spread: result.spread,
            tune: result.tune,
            nodes: result.nodes,
            gpus: result.gpus,
            perSeed: result.perSeed.map(({ curve: _curve, ...seed }) => seed),
            csv: csvPath,
            svg: svgPath,
          });
        } else {
          io.stdout.write(`${describeReplay(result, basename(pods))}\n`);
        }
        io.stderr.write(`wrote ${shown(csvPath)} and ${shown(svgPath)}\n`);
      },
    );
}

function describeReplay(result: ReplayResult, trace: string): string {
  const seeds = result.perSeed;
  const lines = [
    `${result.policy} on ${trace}: ${result.nodes} GPU nodes, ${result.gpus} GPUs, tune ${result.tune}, ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${result.seeds.join(',')})`,
    'arrived demand  GPU allocation % (mean ± sd over seeds, min..max)',
  ];
  for (const demand of REPORTED_DEMANDS) {
    const values = seeds.map((s) => s.allocation[demand]);
    lines.push(
      `  ${`${demand}%`.padEnd(14)}${result.allocation[demand].toFixed(2).padStart(6)} ± ${result.spread[demand].toFixed(2)}  (${Math.min(...values).toFixed(2)}..${Math.max(...values).toFixed(2)})`,
    );
  }
  return lines.join('\n');
}
