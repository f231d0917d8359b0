// Unit tests sit next to the code (src/**/*.spec.ts); integration and end-to-end tests under test/.
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        // The Swagger plugin runs in tests too, so /docs-json under test matches the built app.
        astTransformers: { before: ['<rootDir>/test/support/swagger-plugin.js'] },
        diagnostics: { warnOnly: false },
      },
    ],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/quiet-console.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
