import { HttpStatus } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors';

const invalidJson = (reason: string): AppError =>
  new AppError(HttpStatus.BAD_REQUEST, 'INVALID_JSON', `Body is not valid JSON: ${reason}`);

/**
 * JSON is the only body the API takes (anything else is 415). The raw bytes stay on
 * `request.rawBody` for signature checks, and a malformed body is 400 INVALID_JSON.
 */
export function useJsonBodyOnly(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  // Fastify's own parser guards against __proto__ and constructor poisoning. Webhooks drop such
  // keys instead: a signed delivery answered 400 is redelivered, and in time the subscription is cut.
  const strict = fastify.getDefaultJsonParser('error', 'error');
  const lenient = fastify.getDefaultJsonParser('remove', 'remove');
  app.useBodyParser(
    'application/json',
    { bodyLimit },
    (request: FastifyRequest, body: Buffer, done) => {
      if (body.length === 0 && request.method === 'DELETE') {
        done(null, undefined);
        return;
      }
      if (body.length === 0) {
        done(invalidJson('the body is empty'), undefined);
        return;
      }
      const parse = request.url.startsWith('/webhooks/') ? lenient : strict;
      void parse(request, body.toString('utf8'), (error: Error | null, value?: unknown) => {
        if (error) done(invalidJson(error.message), undefined);
        else done(null, value);
      });
    },
  );
}
