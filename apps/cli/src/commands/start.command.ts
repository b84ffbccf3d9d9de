import { Command } from 'commander';
import { parseIntegerOption } from '../cli-arguments';
import { CommandFailure, UsageError } from '../cli-errors';
import type { CliIo } from '../cli-io';
import { processSignal } from '../process-signal';

type ControlPlaneMain = typeof import('../../../control-plane/src/main');

export function startCommand(io: CliIo): Command {
  return new Command('start')
    .description(
      'run the control plane (API, scheduler) until Ctrl-C; configured by environment variables as `npm start`',
    )
    .option('--port <port>', 'HTTP port (overrides PORT; 0 picks a free one)')
    .option('--host <address>', 'address to listen on (overrides HOST)')
    .addHelpText(
      'after',
      '\nWith no configuration: embedded database in ./.switchyard, the demo topology, an admin token printed once.\nSee the README for DATABASE_URL, SWITCHYARD_DATA_DIR, SWITCHYARD_ADMIN_TOKEN, LOG_LEVEL, KUBECONFIG.',
    )
    .action(async (options: { port?: string; host?: string }) => {
      const port = options.port === undefined ? undefined : parseIntegerOption(options.port, '--port', 0, 65535);
      // Loaded here, not at the top: the other commands should not pay for starting Nest.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, and resolvable from both src (jest) and dist
      const controlPlane = require('../../../control-plane/src/main') as ControlPlaneMain;
      let handle: Awaited<ReturnType<ControlPlaneMain['startControlPlane']>>;
      try {
        handle = await controlPlane.startControlPlane({
          env: io.env,
          overrides: { ...(port !== undefined ? { port } : {}), ...(options.host ? { host: options.host } : {}) },
          print: (line) => io.stdout.write(`${line}\n`),
        });
      } catch (error) {
        const message = controlPlane.startupFailure(error).replace(/^switchyard: /, '');
        const [first, ...rest] = message.split('\n');
        if (error instanceof controlPlane.ConfigurationError) throw new UsageError([first, ...rest].join('\n'));
        throw new CommandFailure(first, rest);
      }
      const signal = await processSignal();
      io.stderr.write(`${signal}: stopping\n`);
      await handle.close();
    });
}
