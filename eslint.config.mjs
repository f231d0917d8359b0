// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The module map (docs/ARCHITECTURE.md), top to bottom: a module may import only modules on a lower
 * row, and another module only through its folder's `index.ts`. Modules on one row do not import
 * each other, except where `sameRow` says (auth issues keys for bots). The app's root files
 * (`src/*.ts`) compose everything. The infrastructure row imports only itself; `common` has no
 * `index.ts`: its subfolders (errors, http, logging, ...) are its public parts.
 */
const MODULE_MAP = [
  ['messenger', 'widget', 'broadcasts'],
  ['conversations'],
  ['referrals'],
  ['modules'],
  ['segments'],
  ['contacts'],
  ['auth', 'bots'],
  ['creator'],
  ['config', 'database', 'queues', 'common', 'boot', 'health'],
];
/** Imports allowed inside one row: importer -> imported. */
const SAME_ROW = { auth: ['bots'] };
const INFRASTRUCTURE = MODULE_MAP[MODULE_MAP.length - 1];

// Globs start with `**/src/` so that test/architecture/fixtures/src/ (the rule's own test) is held to
// the same map as src/.
const folder = (name) => `**/src/${name}/**`;

/** no-restricted-paths zones that express MODULE_MAP. */
function moduleMapZones() {
  const zones = [];
  MODULE_MAP.forEach((row, level) => {
    for (const name of row) {
      const higher = MODULE_MAP.slice(0, level).flat();
      const peers = INFRASTRUCTURE.includes(name)
        ? []
        : row.filter((peer) => peer !== name && !(SAME_ROW[name] ?? []).includes(peer));
      const forbidden = [...higher, ...peers];
      if (forbidden.length > 0) {
        zones.push({
          target: folder(name),
          from: forbidden.map(folder),
          message: `${name} may import only modules below it in the module map (docs/ARCHITECTURE.md).`,
        });
      }
      if (name !== 'common') {
        zones.push({
          target: [`**/src/!(${name})/**`, '**/src/*.ts'],
          from: [folder(name)],
          except: [`**/src/${name}/index.ts`],
          message: `Import ${name} through its index.ts (src/${name}/index.ts).`,
        });
      }
    }
  });
  return zones;
}

export default tseslint.config(
  {
    // The module map's fixtures break the map on purpose; test/architecture/module-map.spec.ts lints them.
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      'test/architecture/fixtures/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['**/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: moduleMapZones() }] },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-console': 'off',
    },
  },
);
