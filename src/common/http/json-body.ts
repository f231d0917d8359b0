import { HttpStatus } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth';

const invalidJson = (reason: string): AppError =>
  new AppError(HttpStatus.BAD_REQUEST, 'INVALID_JSON', `Body is not valid JSON: ${reason}`);

const tooDeep = (): AppError =>
  new AppError(
    HttpStatus.BAD_REQUEST,
    'BODY_TOO_DEEP',
    `Body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
  );

/**
 * JSON is the only body the API takes (anything else is 415). The raw bytes stay on
 * `request.rawBody` for signature checks, a malformed body is 400 INVALID_JSON and one nested
 * deeper than MAX_JSON_DEPTH is 400 BODY_TOO_DEEP, before validation recurses. Webhooks are the
 * exception: a signed delivery refused is redelivered until Meta cuts the subscription, so the
 * intake walks it without recursion and records a too-deep item as ignored (storable.ts).
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
      const webhook = request.url.startsWith('/webhooks/');
      const parse = webhook ? lenient : strict;
      void parse(request, body.toString('utf8'), (error: Error | null, value?: unknown) => {
        if (error) done(invalidJson(error.message), undefined);
        else if (!webhook && jsonDepth(value) > MAX_JSON_DEPTH) done(tooDeep(), undefined);
        else done(null, value);
      });
    },
  );
}
