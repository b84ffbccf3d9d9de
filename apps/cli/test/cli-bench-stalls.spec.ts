/**
 * `bench stalls`, usage only: a run takes many minutes at campus scale (bench/e2e records its
 * figures in bench/RESULTS.md). Bad arguments stop it before any process or schema is made.
 */
import { cli } from './cli-harness';

describe('bench stalls (usage only)', () => {
  it('--help names the load, the fill, the takeover modes and --json', async () => {
    const run = await cli(['bench', 'stalls', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: switchyard bench stalls [options]');
    expect(run.stdout).toContain('--rate <n>');
    expect(run.stdout).toContain('--fill <n>');
    // Help text wraps at the terminal width: compare with whitespace collapsed.
    const text = run.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('release (SIGTERM, Lease released) or kill (SIGKILL)');
    expect(text).toContain('{ nodes, phases, takeovers, loadAverage, ... }');
  });

  it.each([
    [['--takeovers', 'release,reboot'], 'error: --takeovers: "reboot" is neither release nor kill'],
    [['--rate', '0'], 'error: --rate "0": expected a whole number from 1 to 100000'],
    [['--pods', 'many'], 'error: --pods "many": expected a whole number from 1 to 1000000'],
  ])('bench stalls %j exits 2 before starting anything', async (args, message) => {
    const run = await cli(['bench', 'stalls', ...args], {
      env: { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(run.stdout).toBe('');
  });
});
