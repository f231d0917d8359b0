export {
  BUTTON_TYPES,
  type ButtonsMessage,
  type Content,
  type ContentButton,
  CONTENT_LIMITS,
  type ContentMessage,
  type ImageMessage,
  MESSAGE_TYPES,
  type ModuleButton,
  type QuickRepliesMessage,
  type QuickReply,
  type TextMessage,
  type UrlButton,
} from './content/content.types';
export { CreatorModule } from './creator.module';
export { CreatorService, type ModuleRef } from './creator.service';
export {
  ButtonsMessageDto,
  type ContentButtonDto,
  ContentDto,
  type ContentMessageDto,
  ImageMessageDto,
  ModuleButtonDto,
  QuickRepliesMessageDto,
  QuickReplyDto,
  TextMessageDto,
  UrlButtonDto,
} from './dto/content.dto';
export { modulePayload, parseModulePayload } from './module-payload';
export {
  findTemplateProblems,
  type PersonalisationContext,
  renderTemplate,
} from './personalisation';
export { type MessengerMessage } from './renderers/messenger.renderer';
export { type WidgetMessage } from './renderers/widget.renderer';
