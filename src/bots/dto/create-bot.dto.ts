import { Transform } from 'class-transformer';
import { IsString } from 'class-validator';
import { trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';

export class CreateBotDto {
  /** Shown to bot builders; 1-100 characters, trimmed. */
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  name!: string;
}
