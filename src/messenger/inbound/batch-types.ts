import { type ContactKey, type ContactNames, type SeenContact } from '../../contacts';
import { type ReplyRow } from '../../conversations';
import { type InboxRow, type Outcome } from '../inbox.repository';
import { type ArrivingRow } from './arriving';
import { type NormalisedItem } from './normalise';

/** The shapes MessengerInboundService's batches work with. */

/** A pending item with its bot, its contact and what it says (normalised once), ready to handle. */
export interface QueuedItem extends SeenContact {
  row: InboxRow;
  botId: string;
  said: NormalisedItem | null;
}

/**
 * A reply written for an item (in hand when it can be sent without reading it back; known once
 * the batch's last statement ran), and whose (contactOf) it is.
 */
export interface WrittenReply {
  contact: string;
  reply: string | Promise<string | ReplyRow>;
}

/** What handling items did: their outcomes and the replies to send once committed. */
export interface Handled {
  outcomes: Outcome[];
  replies: WrittenReply[];
}

/** The contact behind some of a batch's items, and the newest of those items. */
export interface ContactWork {
  key: ContactKey;
  pageId: string;
  senderKey: string;
  last: InboxRow;
  profile?: { names: ContactNames | null };
}

/** Only a PSID's contact has a profile to look up on the Graph API. */
export const isPsid = (c: ContactWork): boolean => c.key.externalIdKind === 'psid';

/**
 * An item asked for: by its inbox id (a job), its row as the webhook committed it (in hand), or
 * its row to be stored by the batch (arriving).
 */
export type Asked = string | InboxRow | ArrivingRow;
export const idOf = (asked: Asked): string => (typeof asked === 'string' ? asked : asked.id);

/**
 * What a batch did for an item asked for: the replies its caller sends once the batch committed
 * (those written for its contact's items, when it was the contact's newest), and whether it is
 * stored (false only for an arriving item whose dedupe key was stored already: a redelivery).
 */
export interface AskedResult {
  replies: (string | ReplyRow)[];
  stored: boolean;
}

/** What `handleTogether` did: per item asked for, the replies to send; the arriving rows stored. */
export interface Together {
  toSend: Map<string, (string | ReplyRow)[]>;
  inserted: Set<string>;
}
