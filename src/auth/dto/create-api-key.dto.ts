import { Transform } from 'class-transformer';
import { IsString } from 'class-validator';
import { trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';

export class CreateApiKeyDto {
  /** What the key is for, e.g. "campaign dashboard". */
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  name!: string;
}
