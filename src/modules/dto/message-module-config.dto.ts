import { IsDefined } from 'class-validator';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator';

export class MessageModuleConfigDto {
  /** What the user is sent on entering the module. */
  @IsDefined()
  @NestedObject(() => ContentDto)
  content!: ContentDto;
}
