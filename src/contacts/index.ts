export { ContactsModule } from './contacts.module';
export {
  ContactsService,
  type ContactKey,
  type ContactNames,
  type ContactView,
  type SubscriptionEvent,
  type SubscriptionView,
  type SeenContact,
  type Sighting,
} from './contacts.service';
export { CHANNELS, Contact, type Channel, type ExternalIdKind } from './entities/contact.entity';
export {
  SUBSCRIPTION_STATUSES,
  SUBSCRIPTION_TYPES,
  type SubscriptionStatus,
  type SubscriptionType,
} from './entities/contact-subscription.entity';
export { type NotificationState } from './subscriptions.repository';
export { type IdentityRow, type LinkedContact } from './identities.repository';
export { ContactErrors } from './contacts.errors';
export { contactKeyOf, knownKeysExpr, knownKeysValues } from './contacts.repository';
