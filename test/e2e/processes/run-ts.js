/**
 * Runs a TypeScript entry file of this repository in a plain Node process (no build step), so
 * end-to-end tests can start real child processes and kill them with SIGKILL: `.ts` files are
 * compiled with @swc/core on require, and `@switchyard/<lib>` resolves to `libs/<lib>/src`.
 *   node test/e2e/processes/run-ts.js test/e2e/processes/sim-process.ts [args...]

 * CommonJS on purpose: it is the loader that makes TypeScript loadable.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..', '..', '..');
const libs = new Set(['placement', 'inventory', 'contracts', 'telemetry', 'kube', 'kube-sim', 'node-agent']);
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, parent, ...rest) {
  const m = /^@switchyard\/([a-z-]+)$/.exec(request);
  if (m && libs.has(m[1])) request = path.join(root, 'libs', m[1], 'src', 'index.ts');
  return originalResolve.call(this, request, parent, ...rest);
};
const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
Module._extensions['.ts'] = function compile(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
const entry = path.resolve(process.argv[2]);
process.argv.splice(1, 2, entry);
require(entry);
