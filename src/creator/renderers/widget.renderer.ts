import {
  type Content,
  type ContentButton,
  type ContentMessage,
  CONTENT_LIMITS,
} from '../content/content.types';
import { modulePayload } from '../module-payload';
import { type PersonalisationContext } from '../personalisation';
import { renderText } from './render-text';

export type WidgetButton =
  | { type: 'url'; title: string; url: string }
  | { type: 'postback'; title: string; payload: string };

export interface WidgetQuickReply {
  title: string;
  payload: string;
}

/** One message as the website widget and the hosted chat page show it. */
export type WidgetMessage =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string }
  | { type: 'buttons'; text: string; buttons: WidgetButton[] }
  | { type: 'quickReplies'; text: string; replies: WidgetQuickReply[] };

function renderButton(button: ContentButton): WidgetButton {
  switch (button.type) {
    case 'url':
      return { type: 'url', title: button.title, url: button.url };
    case 'module':
      return { type: 'postback', title: button.title, payload: modulePayload(button.moduleId) };
  }
}

// Texts are cut to Messenger's limits here too, so one content reads the same on every channel.
function renderMessage(message: ContentMessage, ctx: PersonalisationContext): WidgetMessage {
  switch (message.type) {
    case 'text':
      return { type: 'text', text: renderText(message.text, ctx, CONTENT_LIMITS.textMaxLength) };
    case 'image':
      return { type: 'image', url: message.url };
    case 'buttons':
      return {
        type: 'buttons',
        text: renderText(message.text, ctx, CONTENT_LIMITS.buttonsTextMaxLength),
        buttons: message.buttons.map(renderButton),
      };
    case 'quickReplies':
      return {
        type: 'quickReplies',
        text: renderText(message.text, ctx, CONTENT_LIMITS.textMaxLength),
        replies: message.replies.map((reply) => ({
          title: reply.title,
          payload: modulePayload(reply.moduleId),
        })),
      };
  }
}

export function renderForWidget(content: Content, ctx: PersonalisationContext): WidgetMessage[] {
  return content.messages.map((message) => renderMessage(message, ctx));
}
