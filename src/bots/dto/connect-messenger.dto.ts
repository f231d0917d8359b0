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

  /**
   * The app this page's conversations are passed to when a `handover` module names no
   * `targetAppId` (`target_app_id` of Meta's pass_thread_control): a Meta app id (digits). Left
   * out, MESSENGER_HANDOVER_APP_ID (default: the Page Inbox, 263902037438966).
   */
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,32}$/, { message: 'handoverAppId must be a Meta app id (digits)' })
  handoverAppId?: string;

  /** A Page access token with the pages_messaging permission. Stored encrypted; never returned. */
  @IsString()
  @Length(20, 1024)
  @Matches(/^\S+$/, { message: 'pageAccessToken must not contain whitespace' })
  pageAccessToken!: string;
}
