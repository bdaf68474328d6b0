// Unit specs (*.spec.ts) sit next to the code; integration and end-to-end suites are
// *.e2e-spec.ts and use the real PostgreSQL and Redis on 127.0.0.1.
'use strict';
const { swcOptions, jestModuleNameMapper } = require('./tools/swc-options');

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcOptions()],
    // ESM-only packages used by tests (openid-client v6 and its oauth4webapi + jose) are
    // transpiled to CommonJS like our own code; every other node_module is left alone.
    '^.+\\.m?js$': ['@swc/jest', swcOptions()],
  },
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'],
  moduleNameMapper: jestModuleNameMapper(),
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/tools/test/setup-env.js'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools,helm}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs,tests}/**/*.e2e-spec.ts'],
    },
  ],
  // A global option in multi-project mode; end-to-end suites start real processes.
  testTimeout: 60000,
};
