import fc from 'fast-check';
import { type EntityManager } from 'typeorm';
import { BotsModule, BotsService } from '../../src/bots';
import {
  ConversationsModule,
  ConversationsService,
  type InboundEvent,
  type InboundResult,
} from '../../src/conversations';
import { type Content } from '../../src/creator';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { type ReferralLookup, ReferralsService } from '../../src/referrals';
import { findActiveReferrals } from '../../src/referrals/referrals.repository';
import { inboundEvents } from './support/inbound-events';
import { boundOf, storePending } from './support/inbox-items';
import { plansOf } from './support/plans';
import { startServices, type ServiceContext } from './support/service-context';

const says = (text: string): Content => ({ messages: [{ type: 'text', text }] });

/**
 * The referral lookups of a batch of inbound events: each event's ref matched to its own bot's
 * live, active referral, case-insensitively, and all of them read in one statement however many
 * events, bots and params the batch holds (the conversation opening and the resolution share it);
 * the entries, their funnel pairs and their ads' titles written in one statement too.
 */
describe('Referral lookups and entries of an inbound batch (integration)', () => {
  let s: ServiceContext;
  let eventsOf: Record<'a' | 'b', ReturnType<typeof inboundEvents>>;
  const ids: Record<string, string> = {};
  let botIds: Record<'a' | 'b', string>;
  let inbox: InboxRepository;
  /** A pending item whose contact's lock a batch takes first. */
  let pending: InboxRow;

  /** The SQL of the statements the last batch sent. */
  let statements: string[];
  const count = (pattern: RegExp) => statements.filter((sql) => pattern.test(sql)).length;
  /** Statements that look a referral up by its tracking param (the function is the look-up). */
  const lookups = () => count(/referrals_find_active\(|lower\(\s*(r\.)?tracking_param\s*\)/i);
  /** Statements that write entries or what they add to the funnel's pairs and ads. */
  const entryWrites = () => count(/INSERT INTO referral_(entries|contacts|ads)\b/i);

  /**
   * Handles the events in one transaction, keeping the statements it sends; `first` runs in the
   * transaction before them (its statements are not kept).
   */
  async function handle(
    events: InboundEvent[],
    first?: (tx: EntityManager) => Promise<unknown>,
  ): Promise<InboundResult[]> {
    return s.dataSource.transaction(async (tx: EntityManager) => {
      await first?.(tx);
      const runner = tx.queryRunner!;
      const query = runner.query.bind(runner);
      statements = [];
      runner.query = ((sql: string | { text: string }, ...rest: unknown[]) => {
        statements.push(typeof sql === 'string' ? sql : sql.text);
        return (query as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
      }) as typeof runner.query;
      return s.get(ConversationsService).handleInboundMany(events, tx);
    });
  }

  /** The entry of a conversation, its referral, and the entry its reply answers (if known). */
  async function entryOf(result: InboundResult) {
    const [entry] = await s.dataSource.query<{ id: string; referralId: string; rawRef: string }[]>(
      `SELECT id, referral_id AS "referralId", raw_ref AS "rawRef" FROM referral_entries
        WHERE conversation_id = $1`,
      [result.conversationId],
    );
    const [conversation] = await s.dataSource.query<{ first: string | null }[]>(
      'SELECT first_referral_id AS first FROM conversations WHERE id = $1',
      [result.conversationId],
    );
    const [answer] = await s.dataSource.query<{ entryId: string }[]>(
      'SELECT entry_id AS "entryId" FROM referral_answers WHERE reply_id = $1',
      [result.replyId],
    );
    return {
      referralId: entry.referralId,
      rawRef: entry.rawRef,
      conversationReferralId: conversation.first,
      answersItsEntry: answer ? answer.entryId === entry.id : null,
    };
  }

  async function replyText(replyId: string | null): Promise<string | null> {
    const rows = await s.dataSource.query<{ text: string }[]>(
      'SELECT text FROM messages WHERE reply_id = $1 ORDER BY position',
      [replyId],
    );
    return rows.map((row) => row.text).join(' / ');
  }

  /** Each result's entry and the text of its reply. */
  const answersOf = (results: InboundResult[]) =>
    Promise.all(
      results.map(async (result) => ({
        ...(await entryOf(result)),
        reply: await replyText(result.replyId),
      })),
    );
  const unmatched = (rawRef: string, welcome: string) => ({
    referralId: null,
    rawRef,
    conversationReferralId: null,
    answersItsEntry: null,
    reply: welcome,
  });
  const matched = (rawRef: string, text: string) => ({
    referralId: ids[text],
    rawRef,
    conversationReferralId: ids[text],
    answersItsEntry: true,
    reply: text,
  });

  beforeAll(async () => {
    s = await startServices([BotsModule, ConversationsModule]);
    const bots = s.get(BotsService);
    const referrals = s.get(ReferralsService);
    const a = (await bots.create({ name: 'Bot A' })).id;
    const b = (await bots.create({ name: 'Bot B' })).id;
    await bots.update(a, { welcome: says('A welcome') });
    await bots.update(b, { welcome: says('B welcome') });
    eventsOf = { a: inboundEvents(s, a), b: inboundEvents(s, b) };
    botIds = { a, b };
    inbox = new InboxRepository(s.dataSource);
    [pending] = await storePending(inbox, [
      { dedupeKey: 'locked', pageId: 'page-lookups', psid: 'locked', occurredAt: new Date() },
    ]);
    const create = async (botId: string, trackingParam: string, text: string, active = true) =>
      (ids[text] = (
        await referrals.create(botId, {
          trackingParam,
          answerType: 'message',
          content: says(text),
          segmentName: 'Entrants',
          active,
        })
      ).id);
    await create(a, 'Spring-Sale', 'A spring');
    await create(b, 'spring-sale', 'B spring');
    await create(a, 'Old-Deal', 'A old', false);
    await create(a, 'only-a', 'A only');
    await create(a, 'istanbul', 'A istanbul');
  });
  afterAll(() => s.close());

  it("resolves each event of a batch to its own bot's active referral, case-insensitively, in one lookup and one entries statement", async () => {
    const { a, b } = eventsOf;
    const results = await handle([
      await a.eventFor('a-lower', a.referral('spring-sale')),
      await a.eventFor('a-upper', {
        kind: 'referral',
        referral: {
          ref: 'SPRING-SALE',
          source: 'ADS',
          adId: 'ad-1',
          adsContext: { ad_title: 'Spring ad' },
          refererUri: null,
        },
      }),
      await b.eventFor('b-mixed', b.referral('Spring-sale')),
      await a.eventFor('a-inactive', a.referral('old-deal')),
      await b.eventFor('b-other-bots', b.referral('only-a')),
      await a.eventFor('a-unknown', a.referral('no-such-ref')),
      await a.eventFor('a-text', { kind: 'text', text: 'hello' }),
    ]);
    expect(lookups()).toBe(1);
    expect(entryWrites()).toBe(1);
    const seen = await answersOf(results.slice(0, 6));
    expect(seen).toEqual([
      matched('spring-sale', 'A spring'),
      matched('SPRING-SALE', 'A spring'),
      matched('Spring-sale', 'B spring'),
      unmatched('old-deal', 'A welcome'),
      unmatched('only-a', 'B welcome'),
      unmatched('no-such-ref', 'A welcome'),
    ]);
    const titles = await s.dataSource.query<{ adId: string; title: string }[]>(
      'SELECT ad_id AS "adId", title FROM referral_ads',
    );
    expect(titles).toEqual([{ adId: 'ad-1', title: 'Spring ad' }]);
  });

  it('looks nothing up for a batch without referral events', async () => {
    const { a } = eventsOf;
    await handle([await a.eventFor('a-plain', { kind: 'text', text: 'hi' })]);
    expect(lookups()).toBe(0);
  });

  it('reads nothing more for the lookups read with the batch’s locks, and answers as its own read would', async () => {
    const { a, b } = eventsOf;
    const events = [
      await a.eventFor('ahead-upper', a.referral('SPRING-SALE')),
      await b.eventFor('ahead-b', b.referral('Spring-sale')),
      await a.eventFor('ahead-inactive', a.referral('old-deal')),
      await a.eventFor('ahead-unknown', a.referral('no-such-ref')),
    ];
    const ahead = events.map((event) => ({
      botId: event.botId,
      trackingParam: event.referral!.ref!,
    }));
    const results = await handle(events, (tx) =>
      inbox.lockPendingUpTo(tx, [boundOf(pending)], [], ahead),
    );
    expect(lookups()).toBe(0);
    expect(await answersOf(results)).toEqual([
      matched('SPRING-SALE', 'A spring'),
      matched('Spring-sale', 'B spring'),
      unmatched('old-deal', 'A welcome'),
      unmatched('no-such-ref', 'A welcome'),
    ]);
  });

  it('serves every lookup read with the locks as a read of its own would (any case, bot, repeat, Unicode folding)', async () => {
    // Spellings JavaScript and Postgres lower-case differently: 'İSTANBUL' matches 'istanbul' in
    // Postgres, 'i̇stanbul' (i and a combining dot) does not, though toLowerCase() makes them one.
    const params = ['Spring-Sale', 'Old-Deal', 'only-a', 'no-such-ref', 'istanbul'];
    const spellings = ['İSTANBUL', 'i̇stanbul', 'ıstanbul', 'ß-deal', 'ẞ-DEAL'];
    const lookup: fc.Arbitrary<ReferralLookup> = fc
      .record({
        bot: fc.constantFrom<'a' | 'b'>('a', 'b'),
        param: fc.constantFrom(...params),
        upper: fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
        spelling: fc.option(fc.constantFrom(...spellings), { freq: 3 }),
      })
      .map(({ bot, param, upper, spelling }) => ({
        botId: botIds[bot],
        trackingParam:
          spelling ??
          [...param].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
      }));
    await fc.assert(
      fc.asyncProperty(fc.array(lookup, { maxLength: 6 }), async (wanted) => {
        // Each lookup read alone, in a statement of its own.
        const own = await Promise.all(
          wanted.map(async (one) => (await findActiveReferrals(s.dataSource.manager, [one]))[0]),
        );
        const served = await s.dataSource.transaction(async (tx: EntityManager) => {
          await inbox.lockPendingUpTo(tx, [boundOf(pending)], [], wanted);
          const read = jest.spyOn(tx.queryRunner!, 'query');
          try {
            return await findActiveReferrals(tx, wanted);
          } finally {
            expect(read).not.toHaveBeenCalled();
            read.mockRestore();
          }
        });
        expect(served).toEqual(own);
      }),
      { numRuns: 80 },
    );
  });

  it('looks each referral up by index for every caller, whatever its planner settings, the table however small', async () => {
    const wanted = [{ botId: botIds.a, trackingParam: 'spring-sale' }];
    // A young table, its size known: a scan of it would be the cheapest plan.
    await s.dataSource.query('ANALYZE referrals');
    // Outside the batch (default settings), past the five custom plans: the cached generic plan.
    for (let i = 0; i < 7; i++) await findActiveReferrals(s.dataSource.manager, wanted);
    const { result, plans } = await plansOf(s.dataSource, (tx) => findActiveReferrals(tx, wanted));
    expect(result.map((found) => found?.id)).toEqual([ids['A spring']]);
    const plan = plans.find((text) => text.includes('CROSS JOIN LATERAL'));
    // One probe per lookup, the index searched by its bot (at least), not scanned whole.
    expect(plan).toMatch(
      /Index Scan using \w+ on referrals\s.*\n\s*Index Cond: \(+bot_id = k\.bot_id\)/,
    );
    expect(plan).not.toContain('Seq Scan on referrals');
  });
});
