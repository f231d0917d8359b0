import { type FastifyReply, type FastifyRequest } from 'fastify';
import { HttpStatus } from '@nestjs/common';
import { AppError, sendError } from '../common/errors';
import { WidgetErrors } from './widget.errors';

const CHAT_API = /^\/api\/v1\/widget\/([^/?]+)(?:[/?]|$)/;

/** The Chat API's bodies are a few short fields: far below the app's 1 MB. */
export const WIDGET_BODY_LIMIT_BYTES = 16 * 1024;

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Finds the origins a widget key allows (empty: any); null for an unknown key. */
export interface OriginsSource {
  allowedOrigins(widgetKey: string): Promise<string[] | null>;
}

/**
 * CORS of the public Chat API, per bot: a bot's `widget.allowedOrigins` empty (the default) lets
 * any site call it, a non-empty list only those origins; the hosted chat page (PUBLIC_BASE_URL) always.
 * Answers preflights itself (204, or 403 WIDGET_ORIGIN_NOT_ALLOWED); a refused origin's calls get
 * 403 before any work. Calls without an Origin header (servers, same-origin GETs) pass untouched.
 * Bodies over WIDGET_BODY_LIMIT_BYTES (by Content-Length) get 413 before they are read.
 */
export function widgetCorsHook(publicBaseUrl: string, source: () => OriginsSource) {
  const own = new URL(publicBaseUrl).origin;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const match = CHAT_API.exec(request.url);
    if (!match) return;
    if (Number(request.headers['content-length'] ?? 0) > WIDGET_BODY_LIMIT_BYTES) {
      sendError(
        new AppError(
          HttpStatus.PAYLOAD_TOO_LARGE,
          'PAYLOAD_TOO_LARGE',
          `Chat API bodies are at most ${WIDGET_BODY_LIMIT_BYTES} bytes`,
        ),
        request,
        reply,
      );
      return reply;
    }
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return;
    let allowed = origin === own;
    if (!allowed) {
      const list = await source()
        .allowedOrigins(decoded(match[1]))
        .catch(() => null);
      // An unknown key: the route itself answers 404 (a preflight gets the CORS headers for it).
      allowed = list === null || list.length === 0 || list.includes(origin);
    }
    if (!allowed) {
      sendError(WidgetErrors.originNotAllowed(origin), request, reply);
      return reply;
    }
    void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    if (request.method === 'OPTIONS') {
      void reply
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'content-type, x-widget-session, last-event-id')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
      return reply;
    }
  };
}
