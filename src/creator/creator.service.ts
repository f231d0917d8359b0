import { Injectable } from '@nestjs/common';
import { type Content } from './content/content.types';
import { parseModulePayload } from './module-payload';
import { type PersonalisationContext } from './personalisation';
import { type MessengerMessage, renderForMessenger } from './renderers/messenger.renderer';
import { renderForWidget, type WidgetMessage } from './renderers/widget.renderer';

/** A module id that content points at, with where: for existence checks and error details. */
export interface ModuleRef {
  /** e.g. `messages[0].buttons[1].moduleId`, relative to the content. */
  field: string;
  moduleId: string;
}

/** The Creator's face to other modules: content is plain data, so nothing here touches storage. */
@Injectable()
export class CreatorService {
  renderForMessenger(content: Content, ctx: PersonalisationContext = {}): MessengerMessage[] {
    return renderForMessenger(content, ctx);
  }

  renderForWidget(content: Content, ctx: PersonalisationContext = {}): WidgetMessage[] {
    return renderForWidget(content, ctx);
  }

  /** Every module the content can start, in document order. */
  moduleRefs(content: Content): ModuleRef[] {
    return content.messages.flatMap((message, m): ModuleRef[] => {
      switch (message.type) {
        case 'text':
        case 'image':
          return [];
        case 'buttons':
          return message.buttons.flatMap((button, b) =>
            button.type === 'module'
              ? [{ field: `messages[${m}].buttons[${b}].moduleId`, moduleId: button.moduleId }]
              : [],
          );
        case 'quickReplies':
          return message.replies.map((reply, r) => ({
            field: `messages[${m}].replies[${r}].moduleId`,
            moduleId: reply.moduleId,
          }));
      }
    });
  }

  /** The module id of a `MODULE:<uuid>` payload, or null. */
  parseModulePayload(payload: string | undefined | null): string | null {
    return parseModulePayload(payload);
  }
}
