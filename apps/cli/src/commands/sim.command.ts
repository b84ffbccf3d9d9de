import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { runKubeSimCommand, type KubeSim } from '@switchyard/kube-sim';
import { parseIntegerOption, readInputFile } from '../cli-arguments';
import { cliDataDir } from '../cli-database';
import { CommandFailure, messageOf, UsageError } from '../cli-errors';
import type { CliIo } from '../cli-io';
import { processSignal } from '../process-signal';
import { checkTopologyText, invalidTopology } from './topology.command';

export function simCommand(io: CliIo): Command {
  return new Command('sim')
    .description(
      'run the embedded Kubernetes API alone, with simulated GPU nodes, until Ctrl-C; writes a kubeconfig for kubectl',
    )
    .option('--topology <file>', 'topology YAML or JSON whose nodes to simulate (default: the demo preset)')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '0')
    .option(
      '--kubeconfig <path>',
      'where to write the kubeconfig (default: <SWITCHYARD_DATA_DIR or ./.switchyard>/kubeconfig)',
    )
    .action(async (options: { topology?: string; port: string; kubeconfig?: string }) => {
      const port = parseIntegerOption(options.port, '--port', 0, 65535);
      let topologyFile: string | undefined;
      if (options.topology !== undefined) {
        // Checked here so that a bad file lists every problem, as `topology validate` does.
        const { path, text } = readInputFile(io.cwd, options.topology, 'topology file');
        const checked = checkTopologyText(text);
        if (!checked.document) throw invalidTopology(options.topology, checked.problems);
        topologyFile = path;
      }
      const kubeconfigPath =
        options.kubeconfig === undefined ? join(cliDataDir(io), 'kubeconfig') : resolve(io.cwd, options.kubeconfig);
      writableDirectoryFor(kubeconfigPath, options.kubeconfig === undefined ? 'kubeconfig' : '--kubeconfig');
      let sim: KubeSim;
      try {
        sim = await runKubeSimCommand({
          topologyFile,
          kubeconfigPath,
          port,
          log: (line) => io.stdout.write(`${line}\n`),
        });
      } catch (error) {
        throw new CommandFailure(`cannot start the embedded Kubernetes API: ${messageOf(error)}`);
      }
      const signal = await processSignal();
      io.stderr.write(`${signal}: stopping\n`);
      await sim.close();
    });
}

/** Checked before the API starts listening: a kubeconfig that cannot be written is a usage error, not a half-started sim. */
function writableDirectoryFor(path: string, what: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    accessSync(dirname(path), constants.W_OK);
  } catch (error) {
    throw new UsageError(
      `${what} ${path}: cannot write there (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
    );
  }
}
