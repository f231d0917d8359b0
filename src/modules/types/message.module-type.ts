import { Injectable } from '@nestjs/common';
import { type Content } from '../../creator';
import { MessageModuleConfigDto } from '../dto/message-module-config.dto';
import {
  type ModuleAnswer,
  type ModuleInstanceView,
  ModuleType,
  type ModuleTypeHandler,
} from '../module-type';

/** `message`: replies with Creator content. */
@Injectable()
@ModuleType('message')
export class MessageModuleType implements ModuleTypeHandler<MessageModuleConfigDto> {
  readonly configClass = MessageModuleConfigDto;

  contentOf(config: MessageModuleConfigDto): Record<string, Content> {
    return { content: config.content };
  }

  enter(instance: ModuleInstanceView<MessageModuleConfigDto>): ModuleAnswer {
    return { content: instance.config.content };
  }
}
