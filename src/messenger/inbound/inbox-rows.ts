import { type Contact } from '../../contacts';
import { type InboundEvent } from '../../conversations';
import { type ReferralLookup } from '../../referrals';
import { type InboxRow } from '../inbox.repository';
import { type NormalisedItem } from './normalise';

/**
 * The conversation event of a stored item said by `contact` (null when it says nothing handled);
 * `created` when the batch's transaction inserted the contact's row.
 */
export function toEvent(
  row: InboxRow,
  botId: string,
  contact: Contact,
  normalised: NormalisedItem | null,
  created = false,
): InboundEvent | null {
  if (!normalised) return null;
  return {
    ...normalised,
    botId,
    contactId: contact.id,
    contact: {
      firstName: contact.firstName,
      lastName: contact.lastName,
      firstSeenAt: contact.firstSeenAt,
      address: { externalId: contact.externalId, externalIdKind: contact.externalIdKind },
      createdInTransaction: created,
    },
    channel: 'messenger',
    occurredAt: row.occurredAt,
    standby: row.standby,
  };
}

/** Whether `a` came before `b`: by Meta's timestamp, then by inbox id. */
export function isOlder(a: InboxRow, b: InboxRow): boolean {
  const at = a.occurredAt.getTime() - b.occurredAt.getTime();
  return at < 0 || (at === 0 && BigInt(a.id) < BigInt(b.id));
}

/**
 * The referral look-ups of the refs that `items` carry (`said`: each item normalised, by id), of
 * the items of a worked contact (`botOf`: its bot, undefined for an item not worked), as the
 * conversation opening and the dispatcher will look them up: read ahead, with the batch's locks
 * (InboxRepository.lockPendingUpTo).
 */
export function referralLookupsOf(
  items: InboxRow[],
  botOf: (item: InboxRow) => string | undefined,
  said: Map<string, NormalisedItem | null>,
): ReferralLookup[] {
  return items.flatMap((item) => {
    const botId = botOf(item);
    const normalised = said.get(item.id);
    const ref = normalised?.kind === 'referral' ? normalised.referral?.ref : null;
    return botId && ref ? [{ botId, trackingParam: ref }] : [];
  });
}

/** The contact (page and sender) whose item `row` is, as one string. */
export const contactOf = (row: { pageId: string; senderKey: string | null }): string =>
  `${row.pageId}|${row.senderKey}`;

/** `items` by their contact (`contactOf`), each contact's in the order given. */
export function queuesOf(items: InboxRow[]): Map<string, InboxRow[]> {
  const queues = new Map<string, InboxRow[]>();
  for (const row of items) {
    const queue = queues.get(contactOf(row)) ?? [];
    queue.push(row);
    queues.set(contactOf(row), queue);
  }
  return queues;
}
