import { Type } from 'class-transformer';
import { IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { ContentDto } from '../../creator';

export class HandoverModuleConfigDto {
  /** Sent before the hand-over, e.g. "A colleague will answer shortly". */
  @IsOptional()
  @ValidateNested()
  @Type(() => ContentDto)
  content?: ContentDto;

  /** For the human agent: why the conversation was handed over. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  note?: string;
}
