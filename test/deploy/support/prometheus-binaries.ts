/**
 * Debian's `prometheus` package (prometheus and promtool), which tests of the alert rules, the
 * dashboards and /metrics run for real. In CI (`CI=true`, where .ci/run installs the package) a
 * missing binary fails the test file; on a developer's machine its tests are skipped, saying so.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export type PrometheusBinary = 'prometheus' | 'promtool';

const INSTALL = 'apt-get install -y --no-install-recommends prometheus';

/** The binary's path, or undefined when it is not installed (an error in CI). */
export function prometheusBinary(name: PrometheusBinary): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin'];
  const found = dirs.map((dir) => join(dir, name)).find(isExecutable);
  if (!found && process.env.CI === 'true') throw new Error(`${name} is not installed (CI needs it: ${INSTALL})`);
  return found;
}

/** `describe` when every binary is there, else `describe.skip` with a line saying why. */
export function describeWith(...binaries: ReadonlyArray<string | undefined>): jest.Describe {
  if (binaries.every((b) => b !== undefined)) return describe;
  console.warn(`Skipping tests that need Prometheus: not installed (${INSTALL}).`);
  return describe.skip;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
