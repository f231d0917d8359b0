export { ConversationsModule } from './conversations.module';
export { ConversationsService, type InboundResult } from './conversations.service';
export { type InboundEvent, type InboundKind, type InboundReferral } from './inbound-event';
export {
  ChannelSenderFor,
  sendFailure,
  type ChannelSender,
  type Recipient,
  type SendOutcome,
} from './senders/channel-sender';
