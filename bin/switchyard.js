#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher */
// The `switchyard` command: runs the compiled CLI (`npm run build` writes dist/).
const path = require('node:path');
const entry = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
try {
  require.resolve(entry);
} catch {
  process.stderr.write(`switchyard: ${entry} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
require(entry);
