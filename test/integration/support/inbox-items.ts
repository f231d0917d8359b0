import {
  type ContactBound,
  type InboxRepository,
  type InboxRow,
} from '../../../src/messenger/inbox.repository';

/** A pending Messenger text item to store: its sender (a PSID) and when it happened. */
export interface PendingItem {
  dedupeKey: string;
  pageId: string;
  psid: string;
  occurredAt: Date;
  text?: string;
}

/**
 * Stores `items` pending, as the webhook does, and returns their rows as a batch reads them,
 * oldest first (then by id).
 */
export async function storePending(
  inbox: InboxRepository,
  items: PendingItem[],
): Promise<InboxRow[]> {
  const stored = await inbox.insertMany(
    items.map((item) => ({
      dedupeKey: item.dedupeKey,
      pageId: item.pageId,
      botId: null,
      senderKey: `psid:${item.psid}`,
      kind: 'message' as const,
      standby: false,
      occurredAt: item.occurredAt,
      json: JSON.stringify({ message: { text: item.text ?? item.dedupeKey } }),
      status: 'pending' as const,
      note: null,
    })),
  );
  const rows = await inbox.pending(stored.map((row) => row.id));
  return rows.sort(
    (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || Number(a.id) - Number(b.id),
  );
}

/** The bound of a batch that handles `row`'s contact up to `row`. */
export const boundOf = (row: InboxRow): ContactBound => ({
  pageId: row.pageId,
  senderKey: row.senderKey!,
  occurredAt: row.occurredAt,
  id: row.id,
});
