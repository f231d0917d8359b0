import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class CreateBotDto {
  /** Shown to bot builders; 1-100 characters, trimmed. */
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  name!: string;
}
