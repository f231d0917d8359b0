import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BotsService } from '../bots';

/** Built by `npm run build` (scripts/build-widget.ts): the same path from src/widget and dist/widget. */
const CLIENT_DIR = join(__dirname, '..', '..', 'dist', 'widget-client');

export type Asset = 'widget.js' | 'chat.js' | 'chat.css';

export interface Page {
  status: 200 | 404;
  html: string;
  csp: string;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The hosted chat page and the client's files. The page is a shell: the shared client
 * (client/widget) renders the chat; settings travel in escaped data attributes, so the Content
 * Security Policy allows no inline script or style at all.
 */
@Injectable()
export class WidgetPageService {
  private readonly assets = new Map<Asset, string>();

  constructor(private readonly bots: BotsService) {}

  /** A bundled file of the client; throws when `npm run build` has not made it. */
  asset(name: Asset): string {
    let text = this.assets.get(name);
    if (text === undefined) {
      text = readFileSync(join(CLIENT_DIR, name), 'utf8');
      this.assets.set(name, text);
    }
    return text;
  }

  /**
   * `/chat/{widgetKey}`: the chat, or a 404 page for an unknown key. `frame-ancestors` follows the
   * bot's allowed origins (any site when empty), so only those sites can frame it (widget.js).
   */
  async page(
    widgetKey: string,
    query: { ref?: string; embed?: string; page?: string },
  ): Promise<Page> {
    const bot = await this.bots.findByWidgetKey(widgetKey);
    const policy = (ancestors: string): string =>
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        'img-src https: data:',
        `frame-ancestors ${ancestors}`,
        "base-uri 'none'",
        "form-action 'none'",
      ].join('; ');
    if (!bot) {
      return {
        status: 404,
        csp: policy("'none'"),
        html: this.shell(
          'Chat not found',
          '',
          '<p class="bp-missing">This chat does not exist.</p>',
        ),
      };
    }
    const text = (value: unknown, max: number): string =>
      typeof value === 'string' ? escapeHtml(value.slice(0, max)) : '';
    const attributes = [
      `data-widget-key="${escapeHtml(widgetKey)}"`,
      `data-ref="${text(query.ref, 255)}"`,
      `data-embedded="${query.embed === '1'}"`,
      `data-page="${query.embed === '1' ? text(query.page, 2000) : ''}"`,
      'data-title="Chat"',
    ].join(' ');
    const ancestors =
      bot.allowedOrigins.length > 0 ? ["'self'", ...bot.allowedOrigins].join(' ') : '*';
    return {
      status: 200,
      csp: policy(ancestors),
      html: this.shell(
        'Chat',
        attributes,
        '<main id="bp-chat"></main><script src="/widget/chat.js"></script>',
      ),
    };
  }

  private shell(title: string, attributes: string, body: string): string {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="referrer" content="strict-origin-when-cross-origin">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/widget/chat.css">
</head>
<body ${attributes}>${body}</body>
</html>
`;
  }
}
