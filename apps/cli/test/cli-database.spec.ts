import { openTestDatabase, type TestDatabase } from '../../../test/support/database';
import { cli } from './cli-harness';

describe('db migrate (real PostgreSQL)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase({ migrate: false });
  });
  afterAll(() => db.dispose());

  it('applies the migrations once, then finds nothing to do', async () => {
    const env = { DATABASE_URL: db.url };
    const first = await cli(['db', 'migrate', '--json'], { env });
    expect(first.code).toBe(0);
    const applied = JSON.parse(first.stdout) as { applied: string[]; alreadyApplied: string[] };
    expect(applied.applied.length).toBeGreaterThan(0);
    expect(applied.alreadyApplied).toEqual([]);
    const second = await cli(['db', 'migrate'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`up to date \\(${applied.applied.length} migrations applied earlier\\)`));
    const rows = await db.database.withSession((s) =>
      s.query<{ n: string }>('SELECT count(*)::text AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL'),
    );
    expect(Number(rows[0].n)).toBe(applied.applied.length);
  });

  it('exits 2 naming DATABASE_URL when it is not a PostgreSQL URL', async () => {
    const run = await cli(['db', 'migrate'], { env: { DATABASE_URL: 'mysql://root@localhost/x' } });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: DATABASE_URL must be a postgresql:// connection URL (or unset for the embedded database)',
    );
  });

  it('exits 1 with one line when the server does not answer', async () => {
    const run = await cli(['db', 'migrate'], {
      env: { DATABASE_URL: 'postgresql://postgres:secret@127.0.0.1:1/test' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: cannot open the database (PostgreSQL postgresql://postgres:***@127.0.0.1:1/test): connect ECONNREFUSED 127.0.0.1:1\n',
    );
  });
});
