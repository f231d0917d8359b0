import { BUCKET_MS, TOTAL } from './rollups';

/*
 * The statement parts of the referral answers that the referrals module lends the conversations
 * module's statements (docs/ARCHITECTURE.md, "SQL in repositories"): a reply and its answer are
 * stored in one statement, and a send and its answer are recorded in one.
 */

/**
 * An entry through a known referral, as its answer keeps it: the entry's id and time (its
 * partition key) and the dimensions the answer's funnel steps are counted under, the values the
 * entry was stored with (`Resolution.answered`).
 */
export interface AnsweredEntry {
  entryId: string;
  enteredAt: Date;
  botId: string;
  referralId: string;
  contactId: string;
  source: string | null;
  channel: string;
  adId: string | null;
}

/** A reply answering a referral entry. */
export interface AnswerOfEntry extends AnsweredEntry {
  replyId: string;
}

/**
 * The CTE (`answers_recorded`) tying replies to the entries they answer (ignored if already
 * tied), its nine arrays numbered from `$first`: the statement part the referrals module lends the
 * statement storing the replies (conversations' `replies_store`), so a reply and its answer are
 * one round trip. Values: `recordAnswersValues`. The entry's facts come with it rather than from
 * `referral_entries`: a generic plan joining that table reads every one of its partitions (one a
 * month, kept for the statistics) on every reply, locking each and starting a scan of each.
 */
export function recordAnswersCte(first: number): string {
  const $ = (k: number) => `$${first + k}`;
  return `answers_recorded AS (
       INSERT INTO referral_answers (reply_id, bot_id, referral_id, contact_id, entry_id, entered_at,
                                     source, channel, ad_id)
       SELECT a.reply_id, a.bot_id, a.referral_id, a.contact_id, a.entry_id, a.entered_at,
              coalesce(a.source, ''), a.channel, coalesce(a.ad_id, '')
         FROM unnest(${$(0)}::bigint[], ${$(1)}::timestamptz[], ${$(2)}::uuid[], ${$(3)}::uuid[],
                     ${$(4)}::uuid[], ${$(5)}::uuid[], ${$(6)}::varchar[], ${$(7)}::varchar[],
                     ${$(8)}::varchar[])
              AS a(entry_id, entered_at, reply_id, bot_id, referral_id, contact_id, source, channel, ad_id)
       ON CONFLICT (reply_id) DO NOTHING
     )`;
}

/** The values of `recordAnswersCte`, in its parameters' order. */
export function recordAnswersValues(answers: AnswerOfEntry[]): unknown[] {
  return [
    answers.map((a) => a.entryId),
    answers.map((a) => a.enteredAt),
    answers.map((a) => a.replyId),
    answers.map((a) => a.botId),
    answers.map((a) => a.referralId),
    answers.map((a) => a.contactId),
    answers.map((a) => a.source),
    answers.map((a) => a.channel),
    answers.map((a) => a.adId),
  ];
}

/**
 * The CTEs (`answers_sent`, `answers_counted`, `answers_bumped`) marking the answers among the
 * replies of `replyIds` (a SQL expression of a uuid[], e.g. a parameter) sent, once each, at the
 * transaction's time, and counting each in `referral_stats.answers_sent`: in the referral's total
 * row and its (source, channel, ad) row of the answer's entered-at 15-minute bucket, as
 * `RollupDeltas.add` counts it. An answer sent before, a reply answering no entry and a referral
 * gone meanwhile count nothing. Rows are upserted in `RollupDeltas.write`'s key order (byte order
 * of the strings, as JavaScript compares them), so this and the other rollup writers lock shared
 * rows in one order and cannot deadlock. The statement part the referrals module lends the
 * statement that marks replies sent (conversations' `outbound_messages_sent`), so a send is
 * recorded in one round trip; `answers_sent` holds one row per answer counted.
 */
export function answersSentCtes(replyIds: string): string {
  return `answers_sent AS (
       UPDATE referral_answers SET sent_at = now()
        WHERE reply_id = ANY(${replyIds}) AND sent_at IS NULL
        RETURNING referral_id, bot_id, source, channel, ad_id,
                  date_bin('${BUCKET_MS} milliseconds', entered_at, TIMESTAMPTZ 'epoch') AS bucket
     ), answers_counted AS (
       SELECT referral_id, bot_id, bucket, '${TOTAL}' AS source, '${TOTAL}' AS channel,
              '${TOTAL}' AS ad_id, count(*)::int AS n
         FROM answers_sent GROUP BY referral_id, bot_id, bucket
       UNION ALL
       SELECT referral_id, bot_id, bucket, source, channel, ad_id, count(*)::int
         FROM answers_sent WHERE channel <> '' GROUP BY referral_id, bot_id, bucket, source, channel, ad_id
     ), answers_bumped AS (
       INSERT INTO referral_stats (referral_id, bot_id, bucket, source, channel, ad_id, answers_sent)
       SELECT c.* FROM answers_counted c JOIN referrals r ON r.id = c.referral_id
        ORDER BY c.referral_id, c.bucket, c.source COLLATE "C", c.channel COLLATE "C",
                 c.ad_id COLLATE "C"
       ON CONFLICT (referral_id, bucket, source, channel, ad_id) DO UPDATE
         SET answers_sent = referral_stats.answers_sent + EXCLUDED.answers_sent
     )`;
}
