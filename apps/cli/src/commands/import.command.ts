import { Command } from 'commander';
import { TopologyValidationError } from '@switchyard/contracts';
import { Inventory, InventoryError, type TopologyImportSummary } from '@switchyard/inventory';
import { readInputFile } from '../cli-arguments';
import { cliActor } from '../cli-actor';
import { databaseTarget, withDatabase } from '../cli-database';
import { CommandFailure } from '../cli-errors';
import { writeJson, type CliIo } from '../cli-io';
import { startProgress } from '../progress';
import { checkTopologyText, invalidTopology } from './topology.command';

const STEPS = ['gpuProducts', 'scopes', 'nodes', 'gpus'] as const;

export function importCommand(io: CliIo): Command {
  return new Command('import')
    .description('validate a topology file and upsert it into the database in one transaction (idempotent)')
    .argument('<file>', 'topology YAML or JSON file (see deploy/examples/topology-demo.yaml)')
    .option('--json', 'print the import summary as JSON')
    .option('--prune', 'also remove the nodes and scopes the file does not list (refused while any holds allocations)')
    .addHelpText(
      'after',
      '\nThe database is DATABASE_URL (PostgreSQL), else embedded PGlite under SWITCHYARD_DATA_DIR (default ./.switchyard).\n' +
        'An invalid file lists every problem and writes nothing; so does a file of another site than the database holds\n' +
        '(one site per database), or one that would move, re-equip or prune a node under live allocations.',
    )
    .action(async (file: string, options: { json?: boolean; prune?: boolean }) => {
      const { text } = readInputFile(io.cwd, file, 'topology file');
      const checked = checkTopologyText(text);
      if (!checked.document) throw invalidTopology(file, checked.problems);
      const document = checked.document;
      const target = databaseTarget(io);
      const started = Date.now();
      const summary = await withDatabase(io, async (database) => {
        const sizes = { gpuProducts: document.gpuProducts.length, scopes: 0, nodes: document.nodes.length, gpus: 0 };
        for (const hall of document.halls) for (const row of hall.rows) sizes.scopes += 1 + row.racks.length;
        sizes.scopes += 1 + document.halls.length;
        for (const node of document.nodes)
          sizes.gpus += !node.gpus ? 0 : Array.isArray(node.gpus) ? node.gpus.length : node.gpus.count;
        const total = STEPS.reduce((sum, step) => sum + sizes[step], 0);
        const progress = startProgress(io.stderr, `importing ${file}`, total);
        try {
          return await new Inventory(database).topology.import(
            document,
            { actor: cliActor(io) },
            {
              prune: options.prune ?? false,
              onProgress: (step, done) => {
                const before = STEPS.slice(0, STEPS.indexOf(step)).reduce((sum, s) => sum + sizes[s], 0);
                progress.update(before + done);
              },
            },
          );
        } catch (error) {
          if (error instanceof TopologyValidationError) throw invalidTopology(file, error.problems);
          if (error instanceof InventoryError && error.problems)
            throw new CommandFailure(
              `import of ${file} failed, nothing was written: ${error.problems.length} conflict(s) with live allocations:`,
              error.problems.map((p) => `  ${p.path}: ${p.message}`),
            );
          if (error instanceof InventoryError)
            throw new CommandFailure(`import of ${file} failed, nothing was written: ${error.message}`);
          throw error;
        } finally {
          progress.stop();
        }
      });
      const seconds = (Date.now() - started) / 1000;
      if (options.json) {
        writeJson(io, { file, database: target.description, seconds, ...summary });
        return;
      }
      io.stdout.write(`${describeImport(file, target.description, summary, seconds)}\n`);
    });
}

function describeImport(file: string, database: string, s: TopologyImportSummary, seconds: number): string {
  const counts = (label: string, c: { created: number; updated: number; unchanged: number }, extra = '') =>
    `  ${label.padEnd(12)} ${String(c.created).padStart(7)} created ${String(c.updated).padStart(7)} updated ${String(c.unchanged).padStart(7)} unchanged${extra}`;
  return [
    `imported ${file} (site ${s.site}) into ${database} in ${seconds.toFixed(1)}s`,
    counts('GPU products', s.gpuProducts),
    counts('scopes', s.scopes, s.scopes.removed > 0 ? ` ${String(s.scopes.removed).padStart(7)} removed` : ''),
    counts('nodes', s.nodes, s.nodes.removed > 0 ? ` ${String(s.nodes.removed).padStart(7)} removed` : ''),
    counts('GPUs', s.gpus, ` ${String(s.gpus.removed).padStart(7)} removed`),
  ].join('\n');
}
