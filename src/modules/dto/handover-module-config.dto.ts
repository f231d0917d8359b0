import { IsOptional, IsString, Matches } from 'class-validator';
import { MaxChars } from '../../common/validation/char-length';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator';

export class HandoverModuleConfigDto {
  /** Sent before the hand-over, e.g. "A colleague will answer shortly". */
  @IsOptional()
  @NestedObject(() => ContentDto)
  content?: ContentDto;

  /** For the human agent: why the conversation was handed over (kept in a varchar(500) column). */
  @IsOptional()
  @IsString()
  @MaxChars(500)
  note?: string;

  /**
   * The app the thread is passed to with Meta's Handover Protocol (`target_app_id` of
   * pass_thread_control): digits. Left out, the default is MESSENGER_HANDOVER_APP_ID (the Page
   * Inbox, 263902037438966, unless configured otherwise).
   */
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,32}$/, { message: 'targetAppId must be a Meta app id (digits)' })
  targetAppId?: string;
}
