import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';

export class CreateApiKeyDto {
  /** What the key is for, e.g. "campaign dashboard". */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name!: string;
}
