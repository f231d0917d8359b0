import {
  type Content,
  type ContentButton,
  type ContentMessage,
  CONTENT_LIMITS,
} from '../content/content.types';
import { modulePayload } from '../module-payload';
import { type PersonalisationContext } from '../personalisation';
import { renderText } from './render-text';

export type MessengerButton =
  | { type: 'web_url'; url: string; title: string }
  | { type: 'postback'; title: string; payload: string };

export interface MessengerQuickReply {
  content_type: 'text';
  title: string;
  payload: string;
}

export interface MessengerTextMessage {
  text: string;
  quick_replies?: MessengerQuickReply[];
}

export interface MessengerImageMessage {
  attachment: { type: 'image'; payload: { url: string; is_reusable: true } };
}

export interface MessengerButtonTemplateMessage {
  attachment: {
    type: 'template';
    payload: { template_type: 'button'; text: string; buttons: MessengerButton[] };
  };
}

/** The `message` object of one Send API call. */
export type MessengerMessage =
  MessengerTextMessage | MessengerImageMessage | MessengerButtonTemplateMessage;

function renderButton(button: ContentButton): MessengerButton {
  switch (button.type) {
    case 'url':
      return { type: 'web_url', url: button.url, title: button.title };
    case 'module':
      return { type: 'postback', title: button.title, payload: modulePayload(button.moduleId) };
  }
}

function renderMessage(message: ContentMessage, ctx: PersonalisationContext): MessengerMessage {
  switch (message.type) {
    case 'text':
      return { text: renderText(message.text, ctx, CONTENT_LIMITS.textMaxLength) };
    case 'image':
      return { attachment: { type: 'image', payload: { url: message.url, is_reusable: true } } };
    case 'buttons':
      return {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'button',
            text: renderText(message.text, ctx, CONTENT_LIMITS.buttonsTextMaxLength),
            buttons: message.buttons.map(renderButton),
          },
        },
      };
    case 'quickReplies':
      return {
        text: renderText(message.text, ctx, CONTENT_LIMITS.textMaxLength),
        quick_replies: message.replies.map((reply) => ({
          content_type: 'text',
          title: reply.title,
          payload: modulePayload(reply.moduleId),
        })),
      };
  }
}

/** One Send API `message` per content message, in order. */
export function renderForMessenger(
  content: Content,
  ctx: PersonalisationContext,
): MessengerMessage[] {
  return content.messages.map((message) => renderMessage(message, ctx));
}
