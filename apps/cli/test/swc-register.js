/* Lets a child `node` run the CLI's TypeScript sources directly (tests only): swc transpiles, @switchyard/* map to libs. */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS require hook */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');

const repo = path.join(__dirname, '../../..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = /^@switchyard\/([a-z-]+)$/.exec(request);
  return resolveFilename.call(this, alias ? path.join(repo, 'libs', alias[1], 'src', 'index.ts') : request, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
