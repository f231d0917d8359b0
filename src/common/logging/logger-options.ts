import { RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { type AppConfig } from '../../config';
import { redactUrl, secretScrubber } from './redact';

export { redactUrl } from './redact';

/** The tracked links' route (src/referrals/tracked-links), kept out of request logging below debug. */
export const TRACKED_LINK_ROUTE = 'r/:botId/:trackingParam';

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
  const quiet = webhookLevel === 'silent';
  return {
    pinoHttp: destination ? [options, destination] : options,
    ...(quiet ? { exclude: [{ method: RequestMethod.ALL, path: TRACKED_LINK_ROUTE }] } : {}),
  };
}
