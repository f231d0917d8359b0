import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ContactErrors, ContactsService } from '../contacts';
import { type ContactDto, type ContactReferralDto } from './dto/contact.dto';

/**
 * A contact as the management API shows it: the contacts module's view (ids, subscriptions) with
 * the contact's first and last referral entry, which this module owns. Lives here because referrals
 * sit above contacts in the module map.
 */
@Injectable()
export class ContactViewService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
  ) {}

  /** Throws CONTACT_NOT_FOUND unless the contact is the bot's. */
  async get(botId: string, contactId: string): Promise<ContactDto> {
    const view = await this.contacts.view(botId, contactId);
    if (!view) throw ContactErrors.notFound();
    const [firstReferral, lastReferral] = await Promise.all([
      this.entry(botId, contactId, 'ASC'),
      this.entry(botId, contactId, 'DESC'),
    ]);
    const { contact } = view;
    return {
      id: contact.id,
      channel: contact.channel,
      firstName: contact.firstName,
      lastName: contact.lastName,
      firstSeenAt: contact.firstSeenAt,
      lastSeenAt: contact.lastSeenAt,
      identities: view.identities,
      subscriptions: view.subscriptions,
      firstReferral,
      lastReferral,
    };
  }

  private async entry(
    botId: string,
    contactId: string,
    order: 'ASC' | 'DESC',
  ): Promise<ContactReferralDto | null> {
    const rows = await this.dataSource.query<ContactReferralDto[]>(
      `SELECT e.referral_id AS "referralId", r.tracking_param AS "trackingParam", e.raw_ref AS "rawRef",
              e.source, e.occurred_at AS "occurredAt"
         FROM referral_entries e LEFT JOIN referrals r ON r.id = e.referral_id
        WHERE e.bot_id = $1 AND e.contact_id = $2
        ORDER BY e.occurred_at ${order}, e.id ${order} LIMIT 1`,
      [botId, contactId],
    );
    return rows[0] ?? null;
  }
}
