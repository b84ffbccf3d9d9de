#!/usr/bin/env node
/**
 * Writes deploy/base/crd-modeldeployments.yaml from the zod schema in
 * libs/contracts/src/model-deployment. `--check` exits 1 when the checked-in file is stale
 * (test/deploy does the same check in jest).
 *
 * The schema folder is TypeScript that imports only zod, yaml and its own files, so it is
 * transpiled here with @swc/core (as jest does) instead of needing a full build first.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'libs/contracts/src/model-deployment');
const target = join(root, 'deploy/base/crd-modeldeployments.yaml');
const requireFromRoot = createRequire(join(root, 'package.json'));
const swc = requireFromRoot('@swc/core');

const loaded = new Map();
function loadTs(file) {
  if (loaded.has(file)) return loaded.get(file).exports;
  const { code } = swc.transformSync(readFileSync(file, 'utf8'), {
    filename: file,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  const mod = new Module(file);
  mod.filename = file;
  loaded.set(file, mod);
  mod.require = (id) => (id.startsWith('.') ? loadTs(resolve(dirname(file), `${id}.ts`)) : requireFromRoot(id));
  mod._compile(code, file);
  return mod.exports;
}

const { renderModelDeploymentCrdYaml } = loadTs(join(sourceDir, 'index.ts'));
const yaml = renderModelDeploymentCrdYaml();

if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== yaml) {
    console.error(`generate-crd: ${target} is stale; run \`npm run crd:generate\` and commit the result.`);
    process.exit(1);
  }
  console.log('generate-crd: deploy/base/crd-modeldeployments.yaml is current.');
} else {
  writeFileSync(target, yaml);
  console.log(`generate-crd: wrote ${target}`);
}
