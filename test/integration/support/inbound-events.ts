import { type EntityManager } from 'typeorm';
import { ContactsService } from '../../../src/contacts';
import {
  ConversationsService,
  type InboundEvent,
  type InboundResult,
} from '../../../src/conversations';
import { type ServiceContext } from './service-context';

/** What an inbound event may set; the rest comes from `inboundEvents`' defaults. */
export type EventFields = Partial<Omit<InboundEvent, 'botId' | 'contactId' | 'contact'>>;

/**
 * Builds channel-neutral inbound events for one Messenger contact (recorded as seen first, as the
 * inbound job does) and hands them to `ConversationsService.handleInboundMany` in a transaction of
 * their own: what a channel does once it has normalised an item, without HTTP or queues.
 */
export function inboundEvents(s: ServiceContext, botId: string) {
  async function eventFor(psid: string, fields: EventFields): Promise<InboundEvent> {
    const occurredAt = fields.occurredAt ?? new Date();
    const seen = await s
      .get(ContactsService)
      .recordSeen(
        { botId, channel: 'messenger', externalId: psid, externalIdKind: 'psid' },
        occurredAt,
      );
    return {
      botId,
      contactId: seen.contact.id,
      contact: {
        firstName: 'Ada',
        lastName: null,
        firstSeenAt: seen.contact.firstSeenAt,
        address: { externalId: psid, externalIdKind: 'psid' },
      },
      channel: 'messenger',
      occurredAt,
      standby: false,
      kind: 'text',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: null,
      raw: {},
      ...fields,
    };
  }

  return {
    eventFor,
    /** Handles the events (one per contact) in one transaction; results in their order. */
    async handle(...events: InboundEvent[]): Promise<InboundResult[]> {
      return s.dataSource.transaction((tx: EntityManager) =>
        s.get(ConversationsService).handleInboundMany(events, tx),
      );
    },
    /** A referral event through `ref` (Messenger's SHORTLINK source). */
    referral: (ref: string | null) => ({
      kind: 'referral' as const,
      referral: { ref, source: 'SHORTLINK', adId: null, adsContext: null, refererUri: null },
    }),
  };
}
