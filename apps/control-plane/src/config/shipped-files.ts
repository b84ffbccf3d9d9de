import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A file shipped with Switchyard (e.g. `deploy/examples/topology-demo.yaml`), found upwards from
 * this module so that it resolves from the sources (tests), from `dist/` and from an npm install.
 */
export function shippedFile(relativePath: string): string | undefined {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export const DEMO_TOPOLOGY = 'deploy/examples/topology-demo.yaml';
