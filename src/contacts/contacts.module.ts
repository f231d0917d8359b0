import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsService } from './contacts.service';
import { Contact } from './entities/contact.entity';

/**
 * Contacts sit low in the module map (beside bots) because segments, referrals and conversations
 * all need them and dependencies point down only.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Contact])],
  providers: [ContactsService],
  exports: [ContactsService],
})
export class ContactsModule {}
