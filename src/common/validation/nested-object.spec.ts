import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';

/** The part of class-validator's (unexported) ValidationMetadata this test reads. */
interface ValidationMetadata {
  type: string;
  name?: string;
  propertyName: string;
  each?: boolean;
}

/** Every DTO of the app, loaded so that its decorators register their metadata. */
async function loadDtos(): Promise<void> {
  const root = join(__dirname, '../..');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' });
  for (const file of files) {
    if (/(^|\/)dto\/[^/]+(?<!\.spec)\.ts$/.test(file)) await import(join(root, file));
  }
}

interface Storage {
  validationMetadatas: Map<{ name: string }, ValidationMetadata[]>;
}

describe('nested DTO properties', () => {
  it('every single nested object is also checked to be an object (NestedObject), so a wrong JSON type is a 400', async () => {
    await loadDtos();
    const storage = getMetadataStorage() as unknown as Storage;
    const bare: string[] = [];
    let nested = 0;
    for (const [target, metadatas] of storage.validationMetadatas) {
      const byProperty = new Map<string, ValidationMetadata[]>();
      for (const metadata of metadatas) {
        byProperty.set(metadata.propertyName, [
          ...(byProperty.get(metadata.propertyName) ?? []),
          metadata,
        ]);
      }
      for (const [property, list] of byProperty) {
        const single = list.some((m) => m.type === 'nestedValidation' && !m.each);
        const each = list.some((m) => m.type === 'nestedValidation' && m.each);
        if (!single && !each) continue;
        nested += 1;
        const isObject = list.some((m) => m.name === 'isObject' && Boolean(m.each) === each);
        const isArray = list.some((m) => m.name === 'isArray');
        if (!isObject || (each && !isArray)) bare.push(`${target.name}.${property}`);
      }
    }
    expect(nested).toBeGreaterThanOrEqual(8);
    expect([...new Set(bare)]).toEqual([]);
  });
});
