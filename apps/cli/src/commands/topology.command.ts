import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  TOPOLOGY_PRESETS,
  TopologyValidationError,
  formatTopologyProblem,
  parseTopology,
  presetTopologyYaml,
  summarizeTopology,
  type TopologyDocument,
  type TopologyPreset,
  type TopologyProblem,
} from '@switchyard/contracts';
import { readInputFile } from '../cli-arguments';
import { CommandFailure, UsageError } from '../cli-errors';
import { writeJson, type CliIo } from '../cli-io';

export function topologyCommand(io: CliIo): Command {
  const topology = new Command('topology').description(
    'generate and validate data-center topology files (kind: Topology)',
  );

  topology
    .command('generate')
    .description('write a synthetic topology: the demo data center or the 200 MW campus')
    .addOption(new Option('--preset <name>', 'which data center').choices(TOPOLOGY_PRESETS).makeOptionMandatory())
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\nPresets:\n  demo          2 halls, 64 racks, 256 nodes, 2,048 H200 GPUs\n  campus-200mw  15 halls, 3,750 racks, 15,000 nodes, 120,000 H200 GPUs, 200 MW site',
    )
    .action((options: { preset: TopologyPreset; output?: string }) => {
      const text = presetTopologyYaml(options.preset);
      if (!options.output) {
        io.stdout.write(text);
        return;
      }
      const path = resolve(io.cwd, options.output);
      try {
        writeFileSync(path, text);
      } catch (error) {
        throw new UsageError(
          `--output ${options.output}: cannot write it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
      }
      io.stderr.write(`wrote the ${options.preset} topology to ${options.output}\n`);
    });

  topology
    .command('validate')
    .description('check a topology file and list every problem (exit 1 if there is any)')
    .argument('<file>', 'topology YAML or JSON file')
    .option('--json', 'print { valid, problems, summary } as JSON')
    .action((file: string, options: { json?: boolean }) => {
      const { text } = readInputFile(io.cwd, file, 'topology file');
      const checked = checkTopologyText(text);
      if (options.json) {
        writeJson(io, {
          valid: checked.document !== undefined,
          problems: checked.problems,
          summary: checked.document ? summarizeTopology(checked.document) : null,
        });
        if (!checked.document) throw new CommandFailure(''); // the JSON already says why
        return;
      }
      if (!checked.document) throw invalidTopology(file, checked.problems);
      const s = summarizeTopology(checked.document);
      io.stdout.write(
        `${file}: valid: ${s.halls} halls, ${s.rows} rows, ${s.racks} racks, ${s.nodes} nodes, ${s.gpus} GPUs, site ${formatWatts(s.siteCapacityWatts)}\n`,
      );
    });

  return topology;
}

export function checkTopologyText(text: string): { document?: TopologyDocument; problems: readonly TopologyProblem[] } {
  try {
    return { document: parseTopology(text), problems: [] };
  } catch (error) {
    if (error instanceof TopologyValidationError) return { problems: error.problems };
    throw error;
  }
}

export function invalidTopology(file: string, problems: readonly TopologyProblem[]): CommandFailure {
  const count = problems.length;
  return new CommandFailure(
    `${file}: invalid topology, ${count} problem${count === 1 ? '' : 's'}:`,
    problems.map((p) => `  ${formatTopologyProblem(p)}`),
  );
}

export function formatWatts(watts: number): string {
  if (watts >= 1e6) return `${(watts / 1e6).toFixed(watts % 1e6 === 0 ? 0 : 2)} MW`;
  if (watts >= 1e3) return `${(watts / 1e3).toFixed(watts % 1e3 === 0 ? 0 : 1)} kW`;
  return `${watts} W`;
}
