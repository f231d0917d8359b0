export {
  BulkSendService,
  type BulkOutcome,
  type BulkTarget,
  type BulkWrite,
  type Receipt,
  type ReceiptListener,
} from './bulk-send.service';
export { MESSAGING_WINDOW_MS, type ReplyRow } from './outbound.service';
export { type ReplySendOptions } from './entities/reply.entity';
export { ContactMergeService } from './contact-merge.service';
export { type Carrying, SentMarks } from './sent-marks';
export { type SentMarksPart } from './outbound.repository';
export { ConversationsModule } from './conversations.module';
export { ConversationsHttpModule } from './conversations-http.module';
export { ConversationsWorkersModule } from './conversations-workers.module';
export { ConversationsService, type InboundResult } from './conversations.service';
export {
  EVENT_KINDS,
  type EventKind,
  type InboundEvent,
  type ReceiptKind,
  type InboundReferral,
  type InboundThreadControl,
} from './inbound-event';
export {
  ChannelSenderFor,
  sendFailure,
  THREAD_CONTROL,
  type ThreadControlPayload,
  type ChannelSender,
  type Recipient,
  type SendOptions,
  type SendOutcome,
} from './senders/channel-sender';
