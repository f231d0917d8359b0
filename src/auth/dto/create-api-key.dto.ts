import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { trimString } from '../../common/http/transforms';

export class CreateApiKeyDto {
  /** What the key is for, e.g. "campaign dashboard". */
  @Transform(trimString)
  @IsString()
  @Length(1, 100)
  name!: string;
}
