import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where the bundles go; the hosted page controller reads them from here. */
export const WIDGET_CLIENT_DIR = join(__dirname, '..', 'dist', 'widget-client');
const SOURCE = join(__dirname, '..', 'client', 'widget');

/**
 * Bundles the one browser client (client/widget) with esbuild: `chat.js` for the hosted page (and
 * the panel widget.js frames), `widget.js` for host pages, plus the page's stylesheet.
 */
export async function buildWidget(outDir = WIDGET_CLIENT_DIR): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { chat: join(SOURCE, 'chat-page.ts'), widget: join(SOURCE, 'widget-embed.ts') },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(join(SOURCE, 'chat.css'), join(outDir, 'chat.css'));
}

if (require.main === module) {
  buildWidget().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
