// Type-checked lint, zero warnings (npm run lint). Nx boundaries: tags scope:* and type:*.
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const nx = require('@nx/eslint-plugin');

/**
 * Packages only tests use. App code that imports one (or a `type:testing` library) would ship
 * test machinery, or fail where dev dependencies are not installed.
 */
const TEST_PACKAGES = [
  'jest',
  '@jest/*',
  'playwright',
  'playwright-core',
  '@playwright/*',
  '@axe-core/playwright',
  'axe-core',
  'lighthouse',
  'fast-check',
  'smtp-server',
  'mailparser',
  'openid-client',
];

/** Nx tag rules; `testing` is the tag the shared test helpers (libs/testing) may be imported under. */
const depConstraints = (testing = []) => [
  // App code may not import test libraries; its specs and test helpers may (see the override
  // below). A direct-import rule: libraries the apps use have specs that import libs/testing.
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:util', 'type:protocol', 'type:sdk', ...testing] },
  ...(testing.length === 0 ? [{ sourceTag: 'type:app', bannedExternalImports: TEST_PACKAGES }] : []),
  { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:util', ...testing] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', ...testing] },
  { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:util', 'type:protocol', 'type:sdk', ...testing] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:cloud-broker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:cloud-broker'] },
  { sourceTag: 'scope:edge-connector', onlyDependOnLibsWithTags: ['scope:shared', 'scope:edge-connector'] },
  { sourceTag: 'scope:access-core', onlyDependOnLibsWithTags: ['scope:shared', 'scope:access-core'] },
  { sourceTag: 'scope:mobile-web', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
];
const boundaries = (testing) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints: depConstraints(testing) },
];

module.exports = tseslint.config(
  {
    ignores: ['**/node_modules/**', 'dist/**', 'coverage/**', '.nx/**', '.data/**', '**/*.js', '**/*.cjs', '**/*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@nx/enforce-module-boundaries': boundaries(),
    },
  },
  {
    // The site console (React, built by Vite): its own tsconfig gives the DOM and JSX types.
    files: ['apps/site-console/**/*.ts', 'apps/site-console/**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@nx/enforce-module-boundaries': boundaries(),
    },
  },
  {
    // Tests may poke at internals and use loose fixtures; they still must await promises.
    // `apps/*/test/` holds the apps' suites and their helpers (harnesses, fake sites).
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'tests/**/*.ts', 'apps/*/test/**/*.ts'],
    rules: {
      // Specs of every library may use the shared test helpers.
      '@nx/enforce-module-boundaries': boundaries(['type:testing']),
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
