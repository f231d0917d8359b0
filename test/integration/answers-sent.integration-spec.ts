import { randomUUID } from 'node:crypto';
import { BotsModule, BotsService } from '../../src/bots';
import { ContactsModule, ContactsService } from '../../src/contacts';
import { ConversationsModule } from '../../src/conversations';
import { OutboundRepository } from '../../src/conversations/outbound.repository';
import { type EntityManager } from 'typeorm';
import { type CreateReferralDto } from '../../src/referrals/dto/create-referral.dto';
import {
  type AnsweredEntry,
  recordAnswersCte,
  recordAnswersValues,
  ReferralsModule,
  ReferralsService,
  type Resolution,
} from '../../src/referrals';
import { bumpReferralStats } from '../../src/referrals/stats/rollups.repository';
import { waitFor } from '../support/wait-for';
import { startServices, type ServiceContext } from './support/service-context';

interface StatRow {
  referral: string;
  bucket: string;
  source: string;
  channel: string;
  adId: string;
  entries: number;
  answersSent: number;
}

const keyOf = (r: StatRow): string => [r.referral, r.bucket, r.source, r.channel, r.adId].join('|');
const byKey = (a: StatRow, b: StatRow): number => keyOf(a).localeCompare(keyOf(b));

/**
 * `answersSent` is counted in the statement marking the replies sent (OutboundRepository.markSent,
 * with the referrals module's part, answers.repository.ts: answersSentCtes): once per answer to a
 * referral entry, in the referral's total row and its (source, channel, ad) row of the entry's
 * 15-minute bucket, and never for a reply sent twice or one answering no referral's entry.
 */
describe('Answers sent, counted with the mark of their replies (integration)', () => {
  let s: ServiceContext;
  let referrals: ReferralsService;
  let botId: string;
  const ids: Record<string, string> = {};
  let psids = 0;

  /** A new contact's entry through `ref` at `at`: its resolution. */
  async function entered(
    ref: string,
    at: string,
    source: string,
    adId: string | null = null,
  ): Promise<Resolution> {
    const occurredAt = new Date(at);
    const seen = await s.get(ContactsService).recordSeen(
      {
        botId,
        channel: 'messenger',
        externalId: `answers-sent-${psids++}`,
        externalIdKind: 'psid',
      },
      occurredAt,
    );
    return referrals.resolve({
      botId,
      contactId: seen.contact.id,
      conversationId: null,
      channel: 'messenger',
      ref,
      source,
      adId,
      occurredAt,
    });
  }

  /** The statement part of replies_store that ties a reply to the entry it answers. */
  const tie = (tx: EntityManager, answered: AnsweredEntry, replyId: string) =>
    tx.query(
      `WITH ${recordAnswersCte(1)} SELECT 1`,
      recordAnswersValues([{ ...answered, replyId }]),
    );

  /** A new contact's entry through `ref` at `at`, answered by a new reply: its id. */
  async function answeredEntry(
    ref: string,
    at: string,
    source: string,
    adId: string | null = null,
  ): Promise<string> {
    const resolution = await entered(ref, at, source, adId);
    // An unknown ref's entry is answered (the welcome) but in no referral's funnel.
    const replyId = randomUUID();
    if (resolution.answered) await tie(s.dataSource.manager, resolution.answered, replyId);
    return replyId;
  }

  /** Marks the replies sent as a send's record does; resolves to the answers counted by it. */
  async function sent(replyIds: string[]): Promise<number> {
    const before = await answersSentSoFar();
    await s.get(OutboundRepository).markSent(s.dataSource.manager, [], replyIds);
    return (await answersSentSoFar()) - before;
  }

  async function answersSentSoFar(): Promise<number> {
    const [row] = await s.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM referral_answers WHERE bot_id = $1 AND sent_at IS NOT NULL',
      [botId],
    );
    return row.n;
  }

  /** The bot's rollup rows, every dimension, in a stable order, with the referral by name. */
  async function stats(): Promise<StatRow[]> {
    const rows = await s.dataSource.query<(StatRow & { referralId: string })[]>(
      `SELECT referral_id AS "referralId", to_char(bucket AT TIME ZONE 'UTC', 'HH24:MI') AS bucket,
              source, channel, ad_id AS "adId", entries, answers_sent AS "answersSent"
         FROM referral_stats WHERE bot_id = $1
        ORDER BY referral_id, bucket, source, channel, ad_id`,
      [botId],
    );
    const names = new Map(Object.entries(ids).map(([name, id]) => [id, name]));
    return rows
      .map(({ referralId, ...row }) => ({ ...row, referral: names.get(referralId) ?? '?' }))
      .sort(byKey);
  }

  const row = (
    referral: string,
    bucket: string,
    dims: [string, string, string],
    entries: number,
    answersSent: number,
  ): StatRow => ({
    referral,
    bucket,
    source: dims[0],
    channel: dims[1],
    adId: dims[2],
    entries,
    answersSent,
  });
  const TOTAL: [string, string, string] = ['*', '*', '*'];

  beforeAll(async () => {
    s = await startServices([BotsModule, ContactsModule, ReferralsModule, ConversationsModule]);
    referrals = s.get(ReferralsService);
    botId = (await s.get(BotsService).create({ name: 'Answers sent bot' })).id;
    for (const name of ['spring', 'autumn']) {
      const dto = {
        trackingParam: name,
        answerType: 'message',
        content: { messages: [{ type: 'text', text: `Hello from ${name}` }] },
        segmentName: `${name} people`,
      } as CreateReferralDto;
      ids[name] = (await referrals.create(botId, dto)).id;
    }
  });
  afterAll(() => s.close());

  it('counts each answer once, in its entry bucket and dimensions, across referrals in one group', async () => {
    const springEarly = await answeredEntry('spring', '2026-03-02T10:07:00Z', 'SHORTLINK');
    const springEarlyToo = await answeredEntry('spring', '2026-03-02T10:14:59.999Z', 'SHORTLINK');
    const springAd = await answeredEntry('spring', '2026-03-02T10:15:00Z', 'ADS', 'ad-7');
    const autumn = await answeredEntry('autumn', '2026-03-02T10:20:00Z', 'SHORTLINK');
    // An unknown ref's entry is answered (the welcome) but is in no referral's funnel.
    const unknown = await answeredEntry('no-such-ref', '2026-03-02T10:20:00Z', 'SHORTLINK');

    // One group of marks: a reply twice (two marks of it), a reply answering no entry at all.
    const counted = await sent([
      springEarly,
      springAd,
      springEarly,
      autumn,
      springEarlyToo,
      unknown,
      randomUUID(),
    ]);
    expect(counted).toBe(4);
    expect(await stats()).toEqual(
      [
        row('spring', '10:00', TOTAL, 2, 2),
        row('spring', '10:00', ['SHORTLINK', 'messenger', ''], 2, 2),
        row('spring', '10:15', TOTAL, 1, 1),
        row('spring', '10:15', ['ADS', 'messenger', 'ad-7'], 1, 1),
        row('autumn', '10:15', TOTAL, 1, 1),
        row('autumn', '10:15', ['SHORTLINK', 'messenger', ''], 1, 1),
      ].sort(byKey),
    );

    // Marked again (a later group; a retried mark): nothing counts twice.
    const before = await stats();
    expect(await sent([springEarly, autumn, unknown])).toBe(0);
    expect(await stats()).toEqual(before);
  });

  it('keeps an answer sent in a group that rolled back unsent, and counts it when marked again', async () => {
    const reply = await answeredEntry('autumn', '2026-03-03T08:00:00Z', 'SHORTLINK');
    const bucketSent = async () =>
      (await stats()).filter((r) => r.referral === 'autumn' && r.bucket === '08:00');
    await expect(
      s.dataSource.transaction(async (tx) => {
        await s.get(OutboundRepository).markSent(tx, [], [reply]);
        throw new Error('the mark of the messages failed');
      }),
    ).rejects.toThrow('the mark of the messages failed');
    expect((await bucketSent()).map((r) => r.answersSent)).toEqual([0, 0]);
    expect(await sent([reply])).toBe(1);
    expect((await bucketSent()).map((r) => r.answersSent)).toEqual([1, 1]);
  });
  it('marks an answer sent in its heap page only (a HOT update): no index holds what the mark sets', async () => {
    const reply = await answeredEntry('spring', '2026-03-05T09:00:00Z', 'SHORTLINK');
    // The backend's own counters (pgstat's xact functions: not yet flushed, so exact), read
    // before and after in one transaction, which nothing flushes in the middle of.
    const updates = await s.dataSource.transaction(async (tx) => {
      const counted = async () =>
        (
          await tx.query<{ updated: number; hot: number }[]>(
            `SELECT pg_stat_get_xact_tuples_updated('referral_answers'::regclass)::int AS updated,
                    pg_stat_get_xact_tuples_hot_updated('referral_answers'::regclass)::int AS hot`,
          )
        )[0];
      const before = await counted();
      await s.get(OutboundRepository).markSent(tx, [], [reply]);
      const after = await counted();
      return { updated: after.updated - before.updated, hot: after.hot - before.hot };
    });
    expect(updates).toEqual({ updated: 1, hot: 1 });
  });

  it('ties an answer to the entry it is handed, as stored, reading no partition of referral_entries', async () => {
    // A source longer than an entry keeps (100 characters) and no ad: the answer must carry the
    // entry's stored values, truncated and with '' for the missing ad, as its funnel rows do.
    const { answered } = await entered('autumn', '2026-03-06T09:00:00Z', 'S'.repeat(150));
    expect(answered).not.toBeNull();
    const replyId = randomUUID();
    // A generic plan reading referral_entries would lock every partition of it, one a month.
    const partitionsLocked = await s.dataSource.transaction(async (tx) => {
      await tie(tx, answered!, replyId);
      return tx.query<{ relation: string }[]>(
        `SELECT c.relname AS relation FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
          WHERE l.pid = pg_backend_pid() AND c.relname LIKE 'referral_entries%'`,
      );
    });
    expect(partitionsLocked).toEqual([]);
    const [pair] = await s.dataSource.query<{ answer: unknown; entry: unknown }[]>(
      `SELECT json_build_object('bot', a.bot_id, 'referral', a.referral_id, 'contact', a.contact_id,
                                'entry', a.entry_id::text, 'at', a.entered_at, 'source', a.source,
                                'channel', a.channel, 'ad', a.ad_id) AS answer,
              json_build_object('bot', e.bot_id, 'referral', e.referral_id, 'contact', e.contact_id,
                                'entry', e.id::text, 'at', e.occurred_at, 'source', coalesce(e.source, ''),
                                'channel', e.channel, 'ad', coalesce(e.ad_id, '')) AS entry
         FROM referral_answers a JOIN referral_entries e ON e.id = a.entry_id
        WHERE a.reply_id = $1`,
      [replyId],
    );
    expect(pair.answer).toEqual(pair.entry);
    expect(pair.answer).toMatchObject({ referral: ids.autumn, source: 'S'.repeat(100), ad: '' });
  });

  it('locks rollup rows in key order, whatever order the referrals table keeps', async () => {
    // Two referrals whose key (id) order is the reverse of the table's (creation) order: a plan
    // emitting rows in the table's order would lock them the other way round.
    let earlier = ids.spring;
    let later = ids.autumn;
    for (let n = 0; earlier < later && n < 30; n++) {
      earlier = later;
      later = (
        await referrals.create(botId, {
          trackingParam: `order-${n}`,
          answerType: 'message',
          content: { messages: [{ type: 'text', text: 'Hi' }] },
          segmentName: 'Order',
        })
      ).id;
    }
    expect(later < earlier).toBe(true);
    const bucket = new Date('2026-03-04T00:00:00Z');
    const rowOf = (referralId: string) => ({
      referralId,
      botId,
      bucket,
      source: '*',
      channel: '*',
      adId: '*',
      counts: { clicks: 1 },
    });
    const inKeyOrder = [rowOf(later), rowOf(earlier)];
    await bumpReferralStats(s.dataSource.manager, inKeyOrder);
    const lockRow =
      'SELECT 1 FROM referral_stats WHERE referral_id = $1 AND bucket = $2 FOR UPDATE';
    const holder = s.dataSource.createQueryRunner();
    const probe = s.dataSource.createQueryRunner();
    await holder.startTransaction();
    await probe.startTransaction();
    try {
      // The second row in key order is held: the bump waits there, holding the first.
      await holder.query(lockRow, [earlier, bucket]);
      const bumping = s.dataSource.transaction((tx) => bumpReferralStats(tx, inKeyOrder));
      await waitFor(
        async () =>
          (
            await s.dataSource.query<{ n: number }[]>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          )[0].n > 0,
        { what: 'the bump waiting on the held row' },
      );
      await expect(probe.query(`${lockRow} NOWAIT`, [later, bucket])).rejects.toThrow(
        /could not obtain lock/,
      );
      await holder.commitTransaction();
      await bumping;
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      if (probe.isTransactionActive) await probe.rollbackTransaction();
      await holder.release();
      await probe.release();
    }
  });
});
