import { IsOptional, IsString } from 'class-validator';
import { MaxChars } from '../../common/validation/char-length';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator';

export class HandoverModuleConfigDto {
  /** Sent before the hand-over, e.g. "A colleague will answer shortly". */
  @IsOptional()
  @NestedObject(() => ContentDto)
  content?: ContentDto;

  /** For the human agent: why the conversation was handed over (kept in a varchar(500) column). */
  @IsOptional()
  @IsString()
  @MaxChars(500)
  note?: string;
}
