import { Command, Option } from 'commander';
import { ROLES, tokenCreateSchema, type Role } from '@switchyard/contracts';
import { Inventory, InventoryError, type ApiTokenRecord } from '@switchyard/inventory';
import { cliActor } from '../cli-actor';
import { withDatabase } from '../cli-database';
import { CommandFailure, UsageError } from '../cli-errors';
import { writeJson, type CliIo } from '../cli-io';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function tokenCommand(io: CliIo): Command {
  const token = new Command('token').description(
    'API bearer tokens (stored only as hashes; a token is shown once, at creation)',
  );

  token
    .command('create')
    .description(
      'create a token and print it once (the secret alone on stdout, so TOKEN=$(switchyard token create ...) works)',
    )
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES).makeOptionMandatory())
    .option('--name <name>', 'who or what uses it, e.g. "ci-pipeline"', 'cli')
    .option('--json', 'print { id, name, role, createdAt, token } as JSON')
    .action(async (options: { role: Role; name: string; json?: boolean }) => {
      const input = tokenCreateSchema.safeParse({ name: options.name, role: options.role });
      if (!input.success)
        throw new UsageError(`--name ${JSON.stringify(options.name)}: ${input.error.issues[0].message}`);
      const created = await withDatabase(io, (database) =>
        repositoryCall(() => new Inventory(database).tokens.create(input.data, { actor: cliActor(io) })),
      );
      if (options.json) {
        writeJson(io, { ...tokenJson(created.record), token: created.token });
        return;
      }
      io.stderr.write(
        `created ${created.record.role} token "${created.record.name}" (id ${created.record.id}); it is shown only this once:\n`,
      );
      io.stdout.write(`${created.token}\n`);
    });

  token
    .command('list')
    .description('list tokens, newest first (never their secrets)')
    .option('--active', 'leave out revoked tokens')
    .option('--json', 'print { items: [...] } as JSON')
    .action(async (options: { active?: boolean; json?: boolean }) => {
      const records = await withDatabase(io, (database) =>
        repositoryCall(() => new Inventory(database).tokens.list({ includeRevoked: !options.active })),
      );
      if (options.json) {
        writeJson(io, { items: records.map(tokenJson) });
        return;
      }
      io.stdout.write(`${tokenTable(records)}\n`);
    });

  token
    .command('revoke')
    .description('revoke a token: requests bearing it get 401 from then on')
    .argument('<id>', 'token id, as `switchyard token list` shows it')
    .option('--json', 'print the revoked token as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      if (!UUID.test(id))
        throw new UsageError(`token id ${JSON.stringify(id)} is not a UUID (see switchyard token list)`);
      const revoked = await withDatabase(io, (database) =>
        repositoryCall(() => new Inventory(database).tokens.revoke(id, { actor: cliActor(io) })),
      );
      if (options.json) {
        writeJson(io, tokenJson(revoked));
        return;
      }
      io.stdout.write(`revoked ${revoked.role} token "${revoked.name}" (id ${revoked.id})\n`);
    });

  return token;
}

/** Not-found and conflict answers of the repository are the user's to fix: exit 1 with their message. */
async function repositoryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof InventoryError) throw new CommandFailure(error.message);
    throw error;
  }
}

function tokenJson(record: ApiTokenRecord) {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    createdAt: record.createdAt.toISOString(),
    revokedAt: record.revokedAt?.toISOString() ?? null,
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
  };
}

function tokenTable(records: readonly ApiTokenRecord[]): string {
  if (records.length === 0) return 'no tokens';
  const rows = [
    ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'],
    ...records.map((r) => [r.id, r.name, r.role, iso(r.createdAt), iso(r.lastUsedAt), iso(r.revokedAt)]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function iso(date: Date | null): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
