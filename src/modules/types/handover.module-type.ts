import { Injectable } from '@nestjs/common';
import { type Content } from '../../creator';
import { HandoverModuleConfigDto } from '../dto/handover-module-config.dto';
import {
  type ModuleAnswer,
  type ModuleInstanceView,
  ModuleType,
  type ModuleTypeHandler,
} from '../module-type';

/**
 * `handover`: sends its content, then hands the conversation to a human agent: the bot stays silent,
 * and on Messenger the thread is passed to `targetAppId` (the Page Inbox by default).
 */
@Injectable()
@ModuleType('handover')
export class HandoverModuleType implements ModuleTypeHandler<HandoverModuleConfigDto> {
  readonly configClass = HandoverModuleConfigDto;

  contentOf(config: HandoverModuleConfigDto): Record<string, Content> {
    return config.content ? { content: config.content } : {};
  }

  enter(instance: ModuleInstanceView<HandoverModuleConfigDto>): ModuleAnswer {
    return {
      content: instance.config.content ?? null,
      handover: {
        note: instance.config.note ?? null,
        targetAppId: instance.config.targetAppId ?? null,
      },
    };
  }
}
