/**
 * The `switchyard` command. `runCli` parses arguments, runs one command and returns its
 * exit code (0 ok, 1 failure, 2 usage error); it never calls process.exit, so tests run it
 * in-process with their own streams.
 */
import { Command, CommanderError } from 'commander';
import { CommandFailure, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, messageOf } from './cli-errors';
import type { CliIo } from './cli-io';
import { benchCommand } from './commands/bench.command';
import { dbCommand } from './commands/db.command';
import { importCommand } from './commands/import.command';
import { nodeAgentCommand } from './commands/node-agent.command';
import { replayCommand } from './commands/replay.command';
import { simCommand } from './commands/sim.command';
import { startCommand } from './commands/start.command';
import { tokenCommand } from './commands/token.command';
import { topologyCommand } from './commands/topology.command';

const VERSION = '0.1.0';

export function buildProgram(io: CliIo): Command {
  const program = new Command('switchyard')
    .description('Switchyard: GPU scheduler and control plane for AI data centers')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces of unexpected errors')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  for (const command of [
    startCommand(io),
    simCommand(io),
    nodeAgentCommand(io),
    topologyCommand(io),
    importCommand(io),
    tokenCommand(io),
    dbCommand(io),
    replayCommand(io),
    benchCommand(io),
  ])
    program.addCommand(inheritSettings(command, program));
  return program;
}

/** Commands built apart from the program still need its error and output handling, recursively. */
function inheritSettings(command: Command, program: Command): Command {
  command.copyInheritedSettings(program);
  for (const sub of command.commands) inheritSettings(sub, program);
  return command;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return reportError(error, io, argv.includes('--debug'));
  }
}

function reportError(error: unknown, io: CliIo, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    return EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    io.stderr.write(`error: ${error.message}\n(add --help for usage)\n`);
    return EXIT_USAGE;
  }
  if (error instanceof CommandFailure) {
    const lines = [...(error.message ? [`error: ${error.message}`] : []), ...error.details];
    if (lines.length > 0) io.stderr.write(`${lines.join('\n')}\n`);
    if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
    return EXIT_FAILURE;
  }
  io.stderr.write(`error: ${messageOf(error)}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('(run again with --debug for details)\n');
  return EXIT_FAILURE;
}
