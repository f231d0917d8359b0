import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class ConnectMessengerDto {
  /** The Facebook Page id (digits). */
  @IsString()
  @Matches(/^\d{1,32}$/, { message: 'pageId must be the numeric Facebook Page id' })
  pageId!: string;

  /** The Page's username, used in m.me links when set (otherwise the page id is). */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9.]{5,100}$/, {
    message: 'pageUsername must be 5-100 letters, digits or dots',
  })
  pageUsername?: string;

  /** A Page access token with the pages_messaging permission. Stored encrypted; never returned. */
  @IsString()
  @Length(20, 1024)
  @Matches(/^\S+$/, { message: 'pageAccessToken must not contain whitespace' })
  pageAccessToken!: string;
}
