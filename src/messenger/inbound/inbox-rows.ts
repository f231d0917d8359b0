import { type Contact } from '../../contacts';
import { type InboundEvent } from '../../conversations';
import { type InboxRow } from '../inbox.repository';
import { type NormalisedItem } from './normalise';

/** The conversation event of a stored item said by `contact` (null when it says nothing handled). */
export function toEvent(
  row: InboxRow,
  botId: string,
  contact: Contact,
  normalised: NormalisedItem | null,
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
