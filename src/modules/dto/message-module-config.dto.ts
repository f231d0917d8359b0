import { Type } from 'class-transformer';
import { IsDefined, ValidateNested } from 'class-validator';
import { ContentDto } from '../../creator';

export class MessageModuleConfigDto {
  /** What the user is sent on entering the module. */
  @IsDefined()
  @ValidateNested()
  @Type(() => ContentDto)
  content!: ContentDto;
}
