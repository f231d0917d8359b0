import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { prepared } from '../../database';
import { RollupDeltas } from './rollups';

/** An entry just recorded, as the funnel counts it. */
export interface EntryFact {
  entryId: string;
  botId: string;
  /** Null for an unknown or inactive ref: recorded as an entry, not in any referral's funnel. */
  referralId: string | null;
  contactId: string;
  occurredAt: Date;
  source: string | null;
  channel: string;
  adId: string | null;
  /** `ads_context_data.ad_title`, when Meta sent one. */
  adTitle: string | null;
  isNewContact: boolean;
}

/** What a contact did that moves a referral's funnel on. */
export interface FunnelActivity {
  botId: string;
  contactId: string;
  /**
   * `engaged`: sent a message or tapped a quick reply or button. `delivered` / `read`: a channel
   * receipt saying every message sent up to `at` (its watermark) was delivered / read.
   */
  kind: 'engaged' | 'delivered' | 'read';
  at: Date;
}

/** A referral a contact came through, and when. */
export interface ReferralTouch {
  referralId: string;
  trackingParam: string;
  at: Date;
}

/** How long after entering a contact's message or tap counts as engagement. */
export const ENGAGEMENT_WINDOW_MS = 24 * 60 * 60 * 1000;

interface Dimensions {
  referral_id: string;
  bot_id: string;
  source: string;
  channel: string;
  ad_id: string;
}

/**
 * Rows an UPDATE ... RETURNING gave back: TypeORM hands UPDATE results over as [rows, rowCount]
 * (other statements as the rows alone).
 */
async function updated<T>(
  tx: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const result = await prepared<[T[], number] | T[]>(tx, name, text, values);
  return Array.isArray(result[0]) ? result[0] : (result as T[]);
}

const key = (row: Dimensions, at: Date) => ({
  referralId: row.referral_id,
  botId: row.bot_id,
  at,
  source: row.source,
  channel: row.channel,
  adId: row.ad_id,
});

/**
 * Keeps the referral funnel's rollups and first-seen sets up to date as entries, answers,
 * receipts and engagement arrive, inside the caller's transaction: the counts commit with the
 * facts they count, or not at all.
 */
@Injectable()
export class FunnelRecorder {
  /**
   * Counts entries: every one in `entries`; the first of a contact through a referral in
   * `uniqueContacts` and, as the contact was new to the bot or not, `newContacts` or
   * `returningContacts` (so new + returning = unique).
   */
  async recordEntries(entries: EntryFact[], tx: EntityManager): Promise<void> {
    const known = entries.filter((entry) => entry.referralId !== null);
    if (known.length === 0) return;
    const deltas = new RollupDeltas();
    const firsts = new Map<string, EntryFact>();
    const lasts = new Map<string, Date>();
    for (const entry of known) {
      deltas.add(this.entryKey(entry), { entries: 1 });
      const id = `${entry.referralId}|${entry.contactId}`;
      const first = firsts.get(id);
      if (!first || entry.occurredAt < first.occurredAt) firsts.set(id, entry);
      const last = lasts.get(id);
      if (!last || entry.occurredAt > last) lasts.set(id, entry.occurredAt);
    }
    const pairs = [...firsts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const upserted = await prepared<{ referralId: string; contactId: string; inserted: boolean }[]>(
      tx,
      'referral_contacts_enter',
      `INSERT INTO referral_contacts (referral_id, contact_id, bot_id, first_entered_at, last_entered_at,
                                      source, channel, ad_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[],
                            $6::varchar[], $7::varchar[], $8::varchar[])
       ON CONFLICT (referral_id, contact_id) DO UPDATE
         SET last_entered_at = GREATEST(referral_contacts.last_entered_at, EXCLUDED.last_entered_at)
       RETURNING referral_id AS "referralId", contact_id AS "contactId", (xmax = 0) AS inserted`,
      [
        pairs.map(([, e]) => e.referralId),
        pairs.map(([, e]) => e.contactId),
        pairs.map(([, e]) => e.botId),
        pairs.map(([, e]) => e.occurredAt),
        pairs.map(([id]) => lasts.get(id)),
        pairs.map(([, e]) => this.entryKey(e).source),
        pairs.map(([, e]) => e.channel),
        pairs.map(([, e]) => this.entryKey(e).adId),
      ],
    );
    for (const row of upserted) {
      if (!row.inserted) continue;
      const first = firsts.get(`${row.referralId}|${row.contactId}`)!;
      deltas.add(this.entryKey(first), {
        uniqueContacts: 1,
        ...(first.isNewContact ? { newContacts: 1 } : { returningContacts: 1 }),
      });
    }
    await this.recordAdTitles(known, tx);
    await deltas.write(tx);
  }

  /** Ties replies to the entries they answer (known referrals only); ignored if already tied. */
  async recordAnswers(
    answers: { entryId: string; enteredAt: Date; replyId: string }[],
    tx: EntityManager,
  ): Promise<void> {
    if (answers.length === 0) return;
    await prepared(
      tx,
      'referral_answers_record',
      `INSERT INTO referral_answers (reply_id, bot_id, referral_id, contact_id, entry_id, entered_at,
                                     source, channel, ad_id)
       SELECT a.reply_id, e.bot_id, e.referral_id, e.contact_id, e.id, e.occurred_at,
              coalesce(e.source, ''), e.channel, coalesce(e.ad_id, '')
         FROM unnest($1::bigint[], $2::timestamptz[], $3::uuid[]) AS a(entry_id, entered_at, reply_id)
         JOIN referral_entries e ON e.id = a.entry_id AND e.occurred_at = a.entered_at
        WHERE e.referral_id IS NOT NULL
       ON CONFLICT (reply_id) DO NOTHING`,
      [
        answers.map((a) => a.entryId),
        answers.map((a) => a.enteredAt),
        answers.map((a) => a.replyId),
      ],
    );
  }

  /**
   * Counts `answersSent` for those of the replies that answer an entry, once each, sent at the
   * transaction's time, in the caller's transaction (the one marking the replies sent).
   */
  async recordSent(replyIds: string[], tx: EntityManager): Promise<void> {
    if (replyIds.length === 0) return;
    const rows = await updated<Dimensions & { entered_at: Date }>(
      tx,
      'referral_answers_sent',
      `UPDATE referral_answers SET sent_at = now()
        WHERE reply_id = ANY($1::uuid[]) AND sent_at IS NULL
        RETURNING referral_id, bot_id, source, channel, ad_id, entered_at`,
      [replyIds],
    );
    const deltas = new RollupDeltas();
    for (const row of rows) deltas.add(key(row, row.entered_at), { answersSent: 1 });
    await deltas.write(tx);
  }

  /** Moves funnels on from what contacts did: receipts of answers, and engagement. */
  async recordActivity(activities: FunnelActivity[], tx: EntityManager): Promise<void> {
    if (activities.length === 0) return;
    const deltas = new RollupDeltas();
    const latest = (kind: FunnelActivity['kind']) => {
      const byContact = new Map<string, FunnelActivity>();
      for (const activity of activities) {
        if (activity.kind !== kind) continue;
        const known = byContact.get(activity.contactId);
        if (!known || activity.at > known.at) byContact.set(activity.contactId, activity);
      }
      return [...byContact.values()];
    };
    const receipts = async (kind: 'delivered' | 'read', name: string, sql: string) => {
      const items = latest(kind);
      if (items.length === 0) return;
      const rows = await updated<Dimensions & { entered_at: Date; undelivered: boolean }>(
        tx,
        name,
        sql,
        [items.map((a) => a.botId), items.map((a) => a.contactId), items.map((a) => a.at)],
      );
      for (const row of rows) {
        deltas.add(key(row, row.entered_at), {
          ...(kind === 'read' ? { answersRead: 1 } : {}),
          ...(row.undelivered ? { answersDelivered: 1 } : {}),
        });
      }
    };
    // A read implies delivery: an answer read before any delivery receipt counts as delivered too.
    await receipts(
      'delivered',
      'referral_answers_delivered',
      `UPDATE referral_answers a SET delivered_at = w.at
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS w(bot_id, contact_id, at)
        WHERE a.contact_id = w.contact_id AND a.bot_id = w.bot_id AND a.read_at IS NULL
          AND a.delivered_at IS NULL AND a.sent_at <= w.at
        RETURNING a.referral_id, a.bot_id, a.source, a.channel, a.ad_id, a.entered_at, true AS undelivered`,
    );
    await receipts(
      'read',
      'referral_answers_read',
      `WITH w AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS w(bot_id, contact_id, at)),
            target AS (
              SELECT a.reply_id, w.at, a.delivered_at IS NULL AS undelivered
                FROM referral_answers a JOIN w ON a.contact_id = w.contact_id AND a.bot_id = w.bot_id
               WHERE a.read_at IS NULL AND a.sent_at <= w.at
               FOR UPDATE OF a)
       UPDATE referral_answers a SET read_at = t.at, delivered_at = coalesce(a.delivered_at, t.at)
         FROM target t WHERE a.reply_id = t.reply_id
        RETURNING a.referral_id, a.bot_id, a.source, a.channel, a.ad_id, a.entered_at, t.undelivered`,
    );
    const engaged = activities.filter((a) => a.kind === 'engaged');
    if (engaged.length > 0) {
      const rows = await updated<Dimensions & { first_entered_at: Date }>(
        tx,
        'referral_contacts_engaged',
        `UPDATE referral_contacts c SET engaged_at = w.at
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS w(bot_id, contact_id, at)
          WHERE c.contact_id = w.contact_id AND c.bot_id = w.bot_id AND c.engaged_at IS NULL
            AND c.last_entered_at <= w.at AND c.last_entered_at > w.at - $4::interval
          RETURNING c.referral_id, c.bot_id, c.source, c.channel, c.ad_id, c.first_entered_at`,
        [
          engaged.map((a) => a.botId),
          engaged.map((a) => a.contactId),
          engaged.map((a) => a.at),
          `${ENGAGEMENT_WINDOW_MS} milliseconds`,
        ],
      );
      // Counted where the contact first entered the referral: a cohort, so rates stay within 1.
      for (const row of rows) deltas.add(key(row, row.first_entered_at), { engagedContacts: 1 });
    }
    await deltas.write(tx);
  }

  /**
   * The contact's first-touch referral (the one it first entered through) and last-touch one
   * (the one it entered through most recently); null when it never came through a known one.
   */
  async touches(
    botId: string,
    contactId: string,
    manager: EntityManager,
  ): Promise<{ firstTouch: ReferralTouch | null; lastTouch: ReferralTouch | null }> {
    const rows = await manager.query<(ReferralTouch & { kind: 'first' | 'last' })[]>(
      `(SELECT 'first' AS kind, c.referral_id AS "referralId", r.tracking_param AS "trackingParam",
               c.first_entered_at AS at
          FROM referral_contacts c JOIN referrals r ON r.id = c.referral_id
         WHERE c.bot_id = $1 AND c.contact_id = $2 ORDER BY c.first_entered_at LIMIT 1)
       UNION ALL
       (SELECT 'last', c.referral_id, r.tracking_param, c.last_entered_at
          FROM referral_contacts c JOIN referrals r ON r.id = c.referral_id
         WHERE c.bot_id = $1 AND c.contact_id = $2 ORDER BY c.last_entered_at DESC LIMIT 1)`,
      [botId, contactId],
    );
    const touch = (kind: 'first' | 'last'): ReferralTouch | null => {
      const row = rows.find((r) => r.kind === kind);
      return row
        ? { referralId: row.referralId, trackingParam: row.trackingParam, at: new Date(row.at) }
        : null;
    };
    return { firstTouch: touch('first'), lastTouch: touch('last') };
  }

  private entryKey(entry: EntryFact) {
    return {
      referralId: entry.referralId!,
      botId: entry.botId,
      at: entry.occurredAt,
      source: entry.source?.slice(0, 100) ?? '',
      channel: entry.channel,
      adId: entry.adId?.slice(0, 100) ?? '',
    };
  }

  private async recordAdTitles(entries: EntryFact[], tx: EntityManager): Promise<void> {
    const ads = new Map<string, EntryFact>();
    for (const entry of entries) if (entry.adId) ads.set(`${entry.botId}|${entry.adId}`, entry);
    if (ads.size === 0) return;
    const rows = [...ads.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => e);
    await prepared(
      tx,
      'referral_ads_upsert',
      `INSERT INTO referral_ads (bot_id, ad_id, title)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::text[])
       ON CONFLICT (bot_id, ad_id) DO UPDATE SET title = coalesce(EXCLUDED.title, referral_ads.title),
                                                 updated_at = now()`,
      [
        rows.map((e) => e.botId),
        rows.map((e) => e.adId!.slice(0, 100)),
        rows.map((e) => e.adTitle),
      ],
    );
  }
}
