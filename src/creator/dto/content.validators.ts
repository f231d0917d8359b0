import { type ClassConstructor, plainToInstance, Transform } from 'class-transformer';
import {
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';

/**
 * An absolute http(s) URL. `new URL()` alone is lenient (`https:example.com`, surrounding
 * spaces), and Messenger rejects what a browser would have repaired, so the text is checked too.
 */
export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isHttpUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) return false;
          if (/[\s\p{Cc}]/u.test(value)) return false;
          try {
            const url = new URL(value);
            return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
          } catch {
            return false;
          }
        },
        defaultMessage: (args: ValidationArguments): string =>
          `${args.property} must be an absolute URL starting with http:// or https://`,
      },
    });
}

/**
 * Turns each object of a JSON array into the DTO class its `type` names; an unknown or missing
 * `type` becomes `unknownType` (which rejects it) with the other properties dropped, so the error
 * names the type instead of every property. Non-objects stay as they are for `@IsObject`.
 *
 * class-transformer's own discriminator is not used: it reads `element.type` unguarded and throws
 * on a `null` element, which would turn a bad request into a 500.
 */
export function ToInstancesByType(
  classes: Record<string, ClassConstructor<object>>,
  unknownType: ClassConstructor<{ type?: unknown }>,
): PropertyDecorator {
  return Transform(
    ({ obj, key, options }): unknown => {
      const raw = (obj as Record<string, unknown>)[key];
      if (!Array.isArray(raw)) return raw;
      return raw.map((item: unknown) => {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
        const type = (item as { type?: unknown }).type;
        const dto = typeof type === 'string' && Object.hasOwn(classes, type) ? classes[type] : null;
        if (dto) return plainToInstance(dto, item, options);
        return Object.assign(new unknownType(), { type });
      });
    },
    { toClassOnly: true },
  );
}
