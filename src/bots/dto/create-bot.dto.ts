import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { trimString } from '../../common/http/transforms';

export class CreateBotDto {
  /** Shown to bot builders; 1-100 characters, trimmed. */
  @Transform(trimString)
  @IsString()
  @Length(1, 100)
  name!: string;
}
