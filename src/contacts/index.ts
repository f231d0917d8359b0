export { ContactsModule } from './contacts.module';
export {
  ContactsService,
  type ContactKey,
  type ContactNames,
  type SeenContact,
  type Sighting,
} from './contacts.service';
export { CHANNELS, Contact, type Channel, type ExternalIdKind } from './entities/contact.entity';
