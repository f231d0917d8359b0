import { type EntityManager } from 'typeorm';
import { BotsModule, BotsService } from '../../src/bots';
import {
  ConversationsModule,
  ConversationsService,
  type InboundEvent,
  type InboundResult,
} from '../../src/conversations';
import { type Content } from '../../src/creator';
import { ReferralsService } from '../../src/referrals';
import { inboundEvents } from './support/inbound-events';
import { startServices, type ServiceContext } from './support/service-context';

const says = (text: string): Content => ({ messages: [{ type: 'text', text }] });

/**
 * The referral lookups of a batch of inbound events: each event's ref matched to its own bot's
 * live, active referral, case-insensitively, and all of them read in one statement however many
 * events, bots and params the batch holds (the conversation opening and the resolution share it).
 */
describe('Referral lookups of an inbound batch (integration)', () => {
  let s: ServiceContext;
  let eventsOf: Record<'a' | 'b', ReturnType<typeof inboundEvents>>;
  const ids: Record<string, string> = {};

  /** Statements of the batch that look a referral up by its tracking param. */
  let lookups: number;

  /** Handles the events in one transaction, counting the referral lookups it sends. */
  async function handle(events: InboundEvent[]): Promise<InboundResult[]> {
    return s.dataSource.transaction(async (tx: EntityManager) => {
      const runner = tx.queryRunner!;
      const query = runner.query.bind(runner);
      lookups = 0;
      runner.query = ((sql: string | { text: string }, ...rest: unknown[]) => {
        const text = typeof sql === 'string' ? sql : sql.text;
        if (/lower\(\s*(r\.)?tracking_param\s*\)/i.test(text)) lookups += 1;
        return (query as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
      }) as typeof runner.query;
      return s.get(ConversationsService).handleInboundMany(events, tx);
    });
  }

  async function entryOf(conversationId: string) {
    const [row] = await s.dataSource.query<{ referralId: string | null; rawRef: string }[]>(
      `SELECT referral_id AS "referralId", raw_ref AS "rawRef" FROM referral_entries
        WHERE conversation_id = $1`,
      [conversationId],
    );
    const [conversation] = await s.dataSource.query<{ first: string | null }[]>(
      'SELECT first_referral_id AS first FROM conversations WHERE id = $1',
      [conversationId],
    );
    return { ...row, conversationReferralId: conversation.first };
  }

  async function replyText(replyId: string | null): Promise<string | null> {
    const rows = await s.dataSource.query<{ text: string }[]>(
      'SELECT text FROM messages WHERE reply_id = $1 ORDER BY position',
      [replyId],
    );
    return rows.map((row) => row.text).join(' / ');
  }

  beforeAll(async () => {
    s = await startServices([BotsModule, ConversationsModule]);
    const bots = s.get(BotsService);
    const referrals = s.get(ReferralsService);
    const a = (await bots.create({ name: 'Bot A' })).id;
    const b = (await bots.create({ name: 'Bot B' })).id;
    await bots.update(a, { welcome: says('A welcome') });
    await bots.update(b, { welcome: says('B welcome') });
    eventsOf = { a: inboundEvents(s, a), b: inboundEvents(s, b) };
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
  });
  afterAll(() => s.close());

  it("resolves each event of a batch to its own bot's active referral, case-insensitively, in one lookup statement", async () => {
    const { a, b } = eventsOf;
    const results = await handle([
      await a.eventFor('a-lower', a.referral('spring-sale')),
      await a.eventFor('a-upper', a.referral('SPRING-SALE')),
      await b.eventFor('b-mixed', b.referral('Spring-sale')),
      await a.eventFor('a-inactive', a.referral('old-deal')),
      await b.eventFor('b-other-bots', b.referral('only-a')),
      await a.eventFor('a-unknown', a.referral('no-such-ref')),
      await a.eventFor('a-text', { kind: 'text', text: 'hello' }),
    ]);
    expect(lookups).toBe(1);
    const seen = await Promise.all(
      results.slice(0, 6).map(async (result) => ({
        ...(await entryOf(result.conversationId)),
        reply: await replyText(result.replyId),
      })),
    );
    const unmatched = (rawRef: string, welcome: string) => ({
      referralId: null,
      rawRef,
      conversationReferralId: null,
      reply: welcome,
    });
    const matched = (rawRef: string, text: string) => ({
      referralId: ids[text],
      rawRef,
      conversationReferralId: ids[text],
      reply: text,
    });
    expect(seen).toEqual([
      matched('spring-sale', 'A spring'),
      matched('SPRING-SALE', 'A spring'),
      matched('Spring-sale', 'B spring'),
      unmatched('old-deal', 'A welcome'),
      unmatched('only-a', 'B welcome'),
      unmatched('no-such-ref', 'A welcome'),
    ]);
  });

  it('looks nothing up for a batch without referral events', async () => {
    const { a } = eventsOf;
    await handle([await a.eventFor('a-plain', { kind: 'text', text: 'hi' })]);
    expect(lookups).toBe(0);
  });
});
