import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docs/MESSENGER-WEBHOOK.md names a test for every webhook field: each name must be a test title
 * of the suite it names (parametrised titles filled in), so the table cannot drift from the tests.
 */
describe('docs/MESSENGER-WEBHOOK.md', () => {
  const root = join(__dirname, '..', '..');
  const doc = readFileSync(join(root, 'docs', 'MESSENGER-WEBHOOK.md'), 'utf8');
  const section = doc.split('## Fields of a page subscription')[1].split('\n## ')[0];
  const rows = section
    .split('\n')
    .filter(
      (line) => line.startsWith('| ') && !line.startsWith('| ---') && !line.startsWith('| Field'),
    );

  /** The `suite`: "title", "title" citations of a row. */
  function citations(row: string): [string, string][] {
    return [...row.matchAll(/`([a-z-]+)`: ((?:"[^"]+"(?:, )?)+)/g)].flatMap((group) =>
      [...group[2].matchAll(/"([^"]+)"/g)].map((title): [string, string] => [group[1], title[1]]),
    );
  }

  /** Whether a string literal of the suite, with %s / %i as wildcards, is the whole title. */
  function hasTitle(suite: string, title: string): boolean {
    // Comments go first: an apostrophe in one would pair up the wrong quotes.
    const source = readFileSync(join(root, 'test', 'messenger', `${suite}.e2e-spec.ts`), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
      .map((line) => line.replace(/([,;([{])\s*\/\/.*$/, '$1'))
      .join('\n');
    // Template literals are matched too, so quotes inside them (SQL) pair up nothing.
    const literals = [
      ...source.matchAll(/`((?:[^`\\]|\\.)*)`|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g),
    ].map((match) => (match[1] ?? match[2] ?? match[3]).replace(/\\(.)/g, '$1'));
    return literals.some((literal) => {
      const pattern = literal
        .split(/%[sid]/)
        .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('(.+)');
      const match = new RegExp(`^${pattern}$`).exec(title);
      // A parametrised title's filled-in values must be among the suite's cases too.
      return match !== null && match.slice(1).every((value) => literals.includes(value));
    });
  }

  it('names a test for every row of the field table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    for (const row of rows) expect([row, citations(row).length]).not.toEqual([row, 0]);
  });

  it("has a row for every field of Meta's page subscription the issue and Meta's reference list", () => {
    const fields = [
      'messages',
      'messaging_postbacks',
      'messaging_referrals',
      'messaging_optins',
      'notification_messages',
      'one_time_notif_req',
      'STOP_NOTIFICATIONS',
      'message_deliveries',
      'message_reads',
      'message_echoes',
      'message_reactions',
      'message_edits',
      'messaging_handovers',
      'pass_thread_control',
      'take_thread_control',
      'request_thread_control',
      'standby',
      'messaging_policy_enforcement',
      'messaging_account_linking',
      'messaging_feedback',
      'messaging_game_plays',
      'response_feedback',
      'messaging_customer_information',
      'messaging_in_thread_lead_form_submit',
      'inbox_labels',
      'messaging_integrity',
      'send_cart',
      'changes',
      'instagram',
    ];
    const firstCells = rows.map((row) => row.split(' | ')[0]);
    // A field is named as a word of a row's first cell (`messaging_optins` `type: "one_time_notif_req"`).
    const named = (field: string): boolean =>
      firstCells.some((cell) => new RegExp(`(^|[^A-Za-z_])${field}([^A-Za-z_]|$)`).test(cell));
    for (const field of fields) expect([field, named(field)]).toEqual([field, true]);
  });

  it('names only tests that exist', () => {
    const cited = rows.flatMap(citations);
    for (const [suite, title] of cited)
      expect([suite, title, hasTitle(suite, title)]).toEqual([suite, title, true]);
  });
});
