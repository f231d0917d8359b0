import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export interface ModuleUsage {
  kind: 'referral' | 'module' | 'botWelcome' | 'botFallback';
  id: string;
  /** The referral's tracking param, the module's name, or the bot's name. */
  name: string;
}

/** Every `code` ModuleErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const MODULE_ERROR_CODES = [
  'MODULE_NOT_FOUND',
  'MODULE_IN_USE',
  'VALIDATION_FAILED',
] as const;
export type ModuleErrorCode = (typeof MODULE_ERROR_CODES)[number];

export const ModuleErrors = {
  notFound: (): AppError<ModuleErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'MODULE_NOT_FOUND', 'Module instance not found'),
  inUse: (usedBy: ModuleUsage[]): AppError<ModuleErrorCode> =>
    new AppError(
      HttpStatus.CONFLICT,
      'MODULE_IN_USE',
      `The module is used by ${usedBy.map((u) => `${u.kind} "${u.name}"`).join(', ')}`,
      { usedBy },
    ),
  unknownType: (type: string, known: string[]): AppError<ModuleErrorCode> =>
    AppError.invalidField('type', `unknown module type "${type}"; use one of: ${known.join(', ')}`),
  missingReferences: (fields: string[]): AppError<ModuleErrorCode> =>
    AppError.validation(
      fields.map((field) => ({ field, messages: ['no module instance with this id in this bot'] })),
      `${fields[0]}: no module instance with this id in this bot`,
    ),
};
