import { ApiProperty } from '@nestjs/swagger';

export class ApiKeyDto {
  id!: string;
  botId!: string;
  name!: string;
  /** The first characters of the key. */
  prefix!: string;
  createdAt!: Date;

  @ApiProperty({ type: Date, nullable: true })
  lastUsedAt!: Date | null;

  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'Set once the key is revoked; it then gets 401.',
  })
  revokedAt!: Date | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The key itself. Shown only in this response: store it now. */
  key!: string;
}
