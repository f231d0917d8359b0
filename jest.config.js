// Three tiers, one `npm test` (jest projects):
// - unit: src/**/*.spec.ts beside the code and test/**/*.spec.ts (docs, lint, fakes); no services, seconds;
// - integration: test/integration/**/*.integration-spec.ts, service classes in a Nest testing module on
//   the real PostgreSQL and Redis, no HTTP;
// - e2e: test/**/*.e2e-spec.ts, the real app booted (test/support/test-app.ts).
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      // The Swagger plugin runs in tests too, so /docs-json under test matches the built app.
      astTransformers: { before: ['<rootDir>/test/support/swagger-plugin.js'] },
      diagnostics: { warnOnly: false },
    },
  ],
};

const project = (displayName, testRegex, services) => ({
  displayName,
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex,
  testEnvironment: 'node',
  transform,
  // Drops test databases a crashed run left behind: only the tiers that use PostgreSQL need it.
  ...(services ? { globalSetup: '<rootDir>/test/support/global-setup.ts' } : {}),
  setupFilesAfterEnv: ['<rootDir>/test/support/quiet-console.ts'],
});

module.exports = {
  projects: [
    project('unit', '.*\\.spec\\.ts$', false),
    project('integration', 'test/integration/.*\\.integration-spec\\.ts$', true),
    project('e2e', '.*\\.e2e-spec\\.ts$', true),
  ],
  testTimeout: 60000,
  maxWorkers: 2,
};
