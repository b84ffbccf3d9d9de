/** Jest: @swc/jest transforms TypeScript (and the ESM-only @kubernetes/client-node) without type-checking; `npm run typecheck` does that. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const aliases = {
  '^@switchyard/(placement|inventory|contracts|telemetry|kube|kube-sim|node-agent)$': '<rootDir>/libs/$1/src/index.ts',
};
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose|@electric-sql/pglite|@nestjs)/)',
  ],
  moduleNameMapper: aliases,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 60000,
};
