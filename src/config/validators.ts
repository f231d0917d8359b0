import { registerDecorator, type ValidationArguments } from 'class-validator';

/** A parseable absolute URL whose protocol is one of `protocols` (e.g. `postgres:`). */
export function IsUrlWithProtocol(protocols: string[]): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isUrlWithProtocol',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [protocols],
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            return protocols.includes(url.protocol) && url.hostname.length > 0;
          } catch {
            return false;
          }
        },
        defaultMessage(args: ValidationArguments): string {
          const allowed = (args.constraints[0] as string[]).map((p) => `${p}//`).join(' or ');
          return `must be a URL starting with ${allowed}`;
        },
      },
    });
}

/** An integer within [min, max], with one message that says so. */
export function IsIntInRange(min: number, max: number): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isIntInRange',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [min, max],
      validator: {
        validate: (value: unknown): boolean =>
          typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max,
        defaultMessage: (): string => `must be an integer from ${min} to ${max}`,
      },
    });
}
