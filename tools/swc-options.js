// One set of swc options for the build (tools/build.js) and for jest (@swc/jest).
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tsconfig = require('../tsconfig.base.json');

/** @param {{ paths?: boolean }} opts */
function swcOptions(opts = {}) {
  const jsc = {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  };
  if (opts.paths) {
    jsc.baseUrl = root;
    jsc.paths = tsconfig.compilerOptions.paths;
  }
  return { jsc, module: { type: 'commonjs' }, sourceMaps: true, swcrc: false };
}

/** jest moduleNameMapper from the tsconfig paths. */
function jestModuleNameMapper() {
  const out = {};
  for (const [alias, [target]] of Object.entries(tsconfig.compilerOptions.paths)) {
    out[`^${alias.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')}$`] = `<rootDir>/${target}`;
  }
  return out;
}

module.exports = { swcOptions, jestModuleNameMapper, root };
