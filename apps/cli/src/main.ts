import { processIo } from './cli-io';
import { runCli } from './run-cli';

void runCli(process.argv.slice(2), processIo()).then((code) => {
  // exitCode rather than exit(): let stdout drain when it is a pipe.
  process.exitCode = code;
});
