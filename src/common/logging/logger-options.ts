import { RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { type AppConfig } from '../../config';
import { redactUrl, secretScrubber } from './redact';

export { redactUrl } from './redact';

/** The tracked links' route (src/referrals/tracked-links), kept out of request logging below debug. */
export const TRACKED_LINK_ROUTE = 'r/:botId/:trackingParam';
/** The Messenger webhook's route (src/messenger); its deliveries bypass pino-http below debug. */
export const WEBHOOK_ROUTE = 'webhooks/messenger';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function isWebhookDelivery(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.url ?? '').startsWith('/webhooks/');
}

/** Fastify's request id: the caller's X-Request-Id when it is sane, else a new UUID. pino-http reuses it. */
export function requestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Structured JSON logs (pino). Each request gets an id (from X-Request-Id or generated), echoed in the
 * response and present on every line logged while serving it. Credentials never reach a line.
 */
export function loggerOptions(config: AppConfig, destination?: DestinationStream): Params {
  // Accepted webhook deliveries come by the hundred per second and each is kept in the inbox:
  // their request lines are debug output, not the info stream (refused ones stay at info).
  const webhookLevel =
    config.logLevel === 'debug' || config.logLevel === 'trace' ? 'debug' : 'silent';
  const scrub = secretScrubber(config.loggedSecrets);
  const options = {
    level: config.logLevel,
    hooks: { streamWrite: scrub },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-hub-signature-256"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.remoteAddress,
      }),
    },
    customLogLevel: (req: IncomingMessage, res: ServerResponse, error?: Error) => {
      if (error || res.statusCode >= 500) return 'error';
      return res.statusCode < 400 && isWebhookDelivery(req) ? webhookLevel : 'info';
    },
  };
  // Tracked links (`/r/...`) come by the thousand per second and are counted as clicks: below debug
  // they get no request line and no per-request logger, so a click costs no log allocation and
  // its address (which the analytics never store) reaches no log. Their warnings still log.
  // Webhook deliveries likewise skip pino-http's per-request logger and context below debug (an
  // accepted one logs nothing anyway); webhookRefusalLogger writes the line of a refused one.
  const quiet = webhookLevel === 'silent';
  return {
    pinoHttp: destination ? [options, destination] : options,
    ...(quiet
      ? {
          exclude: [
            { method: RequestMethod.ALL, path: TRACKED_LINK_ROUTE },
            { method: RequestMethod.POST, path: WEBHOOK_ROUTE },
          ],
        }
      : {}),
  };
}

/** Where a webhook refusal's request line goes: pino-http's root logger, once it exists. */
type RootLogger = () => Logger | undefined;

/**
 * The request line of a webhook delivery that bypassed pino-http (see loggerOptions): written by a
 * Fastify `onResponse` hook, in pino-http's shape (`req`, `res`, `responseTime`; `request errored`
 * with `err` at 500 and above), and only for refusals: 4xx at info, 5xx as errors. Null when
 * pino-http logs webhook deliveries itself (LOG_LEVEL debug or trace).
 */
export function webhookRefusalLogger(
  config: AppConfig,
  root: RootLogger,
): ((request: FastifyRequest, reply: FastifyReply, done: () => void) => void) | null {
  if (loggerOptions(config).exclude === undefined) return null;
  return (request, reply, done) => {
    const status = reply.statusCode;
    const delivery = request.method === 'POST' && request.routeOptions.url === `/${WEBHOOK_ROUTE}`;
    const logger = status >= 400 && delivery ? root() : undefined;
    if (logger) {
      const line = {
        req: request.raw,
        res: reply.raw,
        responseTime: Math.round(reply.elapsedTime),
      };
      if (status >= 500)
        logger.error(
          { ...line, err: new Error(`failed with status code ${status}`) },
          'request errored',
        );
      else logger.info(line, 'request completed');
    }
    done();
  };
}
