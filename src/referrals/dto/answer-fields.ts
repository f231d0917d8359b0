import { registerDecorator, type ValidationArguments } from 'class-validator';
import { type AnswerType } from '../entities/referral.entity';

/** Field that belongs to one answer type: required with it, forbidden with the other. */
const OWNER: Record<'content' | 'moduleId', AnswerType> = {
  content: 'message',
  moduleId: 'module',
};

export function answerFieldProblem(
  field: 'content' | 'moduleId',
  answerType: unknown,
  value: unknown,
): string | null {
  const owner = OWNER[field];
  const present = value !== undefined && value !== null;
  if (answerType === owner && !present) return `${field} is required when answerType is "${owner}"`;
  if (answerType !== owner && present)
    return `${field} is not allowed when answerType is "${String(answerType)}"`;
  return null;
}

/** Checks `content` / `moduleId` against the object's `answerType`. */
export function BelongsToAnswerType(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'belongsToAnswerType',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args: ValidationArguments): boolean =>
          answerFieldProblem(
            args.property as 'content' | 'moduleId',
            (args.object as { answerType?: unknown }).answerType,
            value,
          ) === null,
        defaultMessage: (args: ValidationArguments): string =>
          answerFieldProblem(
            args.property as 'content' | 'moduleId',
            (args.object as { answerType?: unknown }).answerType,
            args.value,
          ) ?? 'invalid',
      },
    });
}
