import { userInfo } from 'node:os';
import type { CliIo } from './cli-io';

/** Who the audit log records for a CLI change: `cli:<login>` (the database has no token for the CLI to name). */
export function cliActor(io: CliIo): string {
  let login = io.env.USER || io.env.LOGNAME;
  if (!login) {
    try {
      login = userInfo().username;
    } catch {
      login = undefined;
    }
  }
  return login ? `cli:${login}` : 'cli';
}
