import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { QuickRepliesMessageDto } from '../../src/creator/dto/content.dto';

const ROOT = join(__dirname, '..', '..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

describe('README and docs/*.md', () => {
  it.each(DOCS)('%s links only to files inside the repository that exist', (doc) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1])
      .filter((link) => !/^[a-z]+:/.test(link));
    for (const link of links) {
      const target = join(ROOT, dirname(doc), link);
      expect({
        link,
        inside: !relative(ROOT, target).startsWith('..'),
        exists: existsSync(target),
      }).toEqual({
        link,
        inside: true,
        exists: true,
      });
    }
  });

  it('names in docs/ARCHITECTURE.md only files that exist', () => {
    const text = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const paths = [...text.matchAll(/`((?:src|test|scripts)\/[\w./-]+?)`/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('calls the list of a quick replies message by its field name', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const fields = getMetadataStorage()
      .getTargetValidationMetadatas(QuickRepliesMessageDto, '', true, false)
      .map((m) => m.propertyName);
    expect(fields).toContain('replies');
    expect(readme).toMatch(/`quickReplies` \(a `replies` list/);
  });
});
