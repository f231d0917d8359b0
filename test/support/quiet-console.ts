/**
 * A passing run prints nothing but jest's own lines, so a real failure stands out: any console
 * output during a test fails that test with what was written. Expected output is silenced where it
 * arises (e.g. ajv told about the formats it meets), not here.
 */
const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
const written: string[] = [];

for (const method of METHODS) {
  console[method] = (...args: unknown[]): void => {
    written.push(`console.${method}: ${args.map(String).join(' ')}`);
  };
}

afterEach(() => {
  if (written.length === 0) return;
  const lines = written.splice(0);
  throw new Error(`The test wrote to the console:\n${lines.join('\n')}`);
});
