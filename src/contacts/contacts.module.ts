import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretCipher } from '../common/crypto/secret-cipher';
import { AppConfig } from '../config';
import { ContactsService } from './contacts.service';
import { ContactIdentity } from './entities/contact-identity.entity';
import { ContactSubscription } from './entities/contact-subscription.entity';
import { Contact } from './entities/contact.entity';

/**
 * Contacts sit low in the module map (beside bots) because segments, referrals and conversations
 * all need them and dependencies point down only.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Contact, ContactIdentity, ContactSubscription])],
  providers: [
    ContactsService,
    {
      provide: SecretCipher,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new SecretCipher(config.secretsKey),
    },
  ],
  exports: [ContactsService],
})
export class ContactsModule {}
