import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import {
  type AdTitle,
  type ContactEntryPair,
  contactTouches,
  type FunnelDimensions,
  type FunnelRowOfMerge,
  markAnswersDelivered,
  markAnswersRead,
  markContactsEngaged,
} from './funnel.repository';
import { RollupDeltas } from './rollups';

/** An entry, as the funnel counts it. */
export interface EntryFact {
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

const pairId = (referralId: string, contactId: string): string => `${referralId}|${contactId}`;

const key = (row: FunnelDimensions, at: Date) => ({
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
   * The (referral, contact) pairs `entries` enter (known referrals only), in key order, each
   * with its first and last entry of the batch: what `insertEntries` records in
   * `referral_contacts` with the entries, and counts (`countEntries` in funnel.repository.ts).
   */
  contactPairsOf(entries: EntryFact[]): ContactEntryPair[] {
    const firsts = new Map<string, EntryFact>();
    const lasts = new Map<string, Date>();
    for (const entry of entries) {
      if (entry.referralId === null) continue;
      const id = pairId(entry.referralId, entry.contactId);
      const first = firsts.get(id);
      if (!first || entry.occurredAt < first.occurredAt) firsts.set(id, entry);
      const last = lasts.get(id);
      if (!last || entry.occurredAt > last) lasts.set(id, entry.occurredAt);
    }
    const pairs = [...firsts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return pairs.map(([id, e]) => ({
      referralId: e.referralId!,
      contactId: e.contactId,
      botId: e.botId,
      firstEnteredAt: e.occurredAt,
      lastEnteredAt: lasts.get(id)!,
      source: this.entryKey(e).source,
      channel: e.channel,
      adId: this.entryKey(e).adId,
      isNewContact: e.isNewContact,
    }));
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
    const receipts = async (kind: 'delivered' | 'read', mark: typeof markAnswersRead) => {
      const items = latest(kind);
      if (items.length === 0) return;
      const rows = await mark(tx, items);
      for (const row of rows) {
        deltas.add(key(row, row.entered_at), {
          ...(kind === 'read' ? { answersRead: 1 } : {}),
          ...(row.undelivered ? { answersDelivered: 1 } : {}),
        });
      }
    };
    // A read implies delivery: an answer read before any delivery receipt counts as delivered too.
    await receipts('delivered', markAnswersDelivered);
    await receipts('read', markAnswersRead);
    const engaged = activities.filter((a) => a.kind === 'engaged');
    if (engaged.length > 0) {
      const rows = await markContactsEngaged(tx, engaged, ENGAGEMENT_WINDOW_MS);
      // Counted where the contact first entered the referral: a cohort, so rates stay within 1.
      for (const row of rows) deltas.add(key(row, row.first_entered_at), { engagedContacts: 1 });
    }
    await deltas.write(tx);
  }

  /**
   * Two contacts of one person both entered the referrals of `overlaps`, so each was counted twice.
   * Takes back the later first entry's unique count (and its new or returning count) from its
   * bucket; an engagement is counted once, in the earlier first entry's bucket, as the merged row
   * keeps the earlier first entry and the first engagement. In the merge's transaction.
   */
  async recordMerge(
    overlaps: { from: FunnelRowOfMerge; to: FunnelRowOfMerge }[],
    tx: EntityManager,
  ): Promise<void> {
    if (overlaps.length === 0) return;
    const deltas = new RollupDeltas();
    for (const { from, to } of overlaps) {
      const [earlier, later] =
        to.first_entered_at < from.first_entered_at ? [to, from] : [from, to];
      deltas.add(key(later, later.first_entered_at), {
        uniqueContacts: -1,
        ...(later.is_new ? { newContacts: -1 } : { returningContacts: -1 }),
        ...(later.engaged_at ? { engagedContacts: -1 } : {}),
      });
      if (later.engaged_at && !earlier.engaged_at) {
        deltas.add(key(earlier, earlier.first_entered_at), { engagedContacts: 1 });
      }
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
    const rows = await contactTouches(manager, botId, contactId);
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

  /**
   * The titles of the ads `entries` of known referrals came through, one per ad, in key order:
   * what `insertEntries` stores with the entries.
   */
  adTitlesOf(entries: EntryFact[]): AdTitle[] {
    const ads = new Map<string, EntryFact>();
    for (const entry of entries) {
      if (entry.referralId !== null && entry.adId) ads.set(`${entry.botId}|${entry.adId}`, entry);
    }
    const rows = [...ads.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => e);
    return rows.map((e) => ({ botId: e.botId, adId: e.adId!.slice(0, 100), title: e.adTitle }));
  }
}
