import { BUCKET_MS, TOTAL } from './rollups';

/*
 * The statement parts of the referral answers that the referrals module lends the conversations
 * module's statements (docs/ARCHITECTURE.md, "SQL in repositories"): a reply and its answer are
 * stored in one statement, and a send and its answer are recorded in one.
 */

/** A reply answering a referral entry (the entry's id and time: its partition key). */
export interface AnswerOfEntry {
  entryId: string;
  enteredAt: Date;
  replyId: string;
}

/**
 * The CTE (`answers_recorded`) tying replies to the entries they answer (known referrals only;
 * ignored if already tied), its three arrays numbered from `$first`: the statement part the
 * referrals module lends the statement storing the replies (conversations' `replies_store`), so
 * a reply and its answer are one round trip. Values: `recordAnswersValues`.
 */
export function recordAnswersCte(first: number): string {
  return `answers_recorded AS (
       INSERT INTO referral_answers (reply_id, bot_id, referral_id, contact_id, entry_id, entered_at,
                                     source, channel, ad_id)
       SELECT a.reply_id, e.bot_id, e.referral_id, e.contact_id, e.id, e.occurred_at,
              coalesce(e.source, ''), e.channel, coalesce(e.ad_id, '')
         FROM unnest($${first}::bigint[], $${first + 1}::timestamptz[], $${first + 2}::uuid[])
              AS a(entry_id, entered_at, reply_id)
         JOIN referral_entries e ON e.id = a.entry_id AND e.occurred_at = a.entered_at
        WHERE e.referral_id IS NOT NULL
       ON CONFLICT (reply_id) DO NOTHING
     )`;
}

/** The values of `recordAnswersCte`, in its parameters' order. */
export function recordAnswersValues(answers: AnswerOfEntry[]): unknown[] {
  return [
    answers.map((a) => a.entryId),
    answers.map((a) => a.enteredAt),
    answers.map((a) => a.replyId),
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
