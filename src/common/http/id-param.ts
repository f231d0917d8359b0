import { Param, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { type AppError } from '../errors';

/** Accepts a UUID path parameter; anything else is answered as the resource not existing. */
export class ParseIdPipe implements PipeTransform<unknown, string> {
  constructor(private readonly notFound: () => AppError) {}

  transform(value: unknown): string {
    if (typeof value !== 'string' || !isUUID(value)) throw this.notFound();
    return value.toLowerCase();
  }
}

export function IdParam(name: string, notFound: () => AppError): ParameterDecorator {
  return Param(name, new ParseIdPipe(notFound));
}
