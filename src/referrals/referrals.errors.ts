import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` ReferralErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const REFERRAL_ERROR_CODES = [
  'REFERRAL_NOT_FOUND',
  'TRACKING_PARAM_TAKEN',
  'MESSENGER_NOT_CONNECTED',
  'STATS_INVALID_RANGE',
  'STATS_UNKNOWN_TIME_ZONE',
  'STATS_RANGE_TOO_LONG',
  'TRACKED_LINK_UNAVAILABLE',
] as const;
export type ReferralErrorCode = (typeof REFERRAL_ERROR_CODES)[number];

export const ReferralErrors = {
  notFound: (): AppError<ReferralErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'REFERRAL_NOT_FOUND', 'Referral not found'),
  trackingParamTaken: (trackingParam: string): AppError<ReferralErrorCode> =>
    new AppError(
      HttpStatus.CONFLICT,
      'TRACKING_PARAM_TAKEN',
      `Another referral of this bot already uses the tracking param "${trackingParam}" (compared case-insensitively)`,
    ),
  messengerNotConnected: (): AppError<ReferralErrorCode> =>
    new AppError(
      HttpStatus.CONFLICT,
      'MESSENGER_NOT_CONNECTED',
      'The bot has no Facebook Page connected, so there is no Messenger link yet',
    ),
  invalidRange: (message: string): AppError<ReferralErrorCode> =>
    new AppError(HttpStatus.BAD_REQUEST, 'STATS_INVALID_RANGE', message),
  unknownTimeZone: (timeZone: string): AppError<ReferralErrorCode> =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'STATS_UNKNOWN_TIME_ZONE',
      `timeZone "${timeZone}" is not an IANA time zone name (e.g. Europe/Paris, Pacific/Auckland, UTC)`,
    ),
  rangeTooLong: (message: string): AppError<ReferralErrorCode> =>
    new AppError(HttpStatus.BAD_REQUEST, 'STATS_RANGE_TOO_LONG', message),
  linkUnavailable: (): AppError<ReferralErrorCode> =>
    new AppError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'TRACKED_LINK_UNAVAILABLE',
      'This link cannot be followed right now; try again in a moment',
    ),
};
