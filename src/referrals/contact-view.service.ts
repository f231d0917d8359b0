import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ContactErrors, ContactsService } from '../contacts';
import { type ContactDto, type ContactReferralDto } from './dto/contact.dto';
import { contactEntry } from './referrals.repository';

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

  private entry(
    botId: string,
    contactId: string,
    order: 'ASC' | 'DESC',
  ): Promise<ContactReferralDto | null> {
    return contactEntry(this.dataSource.manager, botId, contactId, order);
  }
}
