import { ChatApi } from './chat-api';
import { ChatView } from './chat-view';
import { Receipts } from './receipts';

/**
 * The hosted chat page (`/chat/{widgetKey}`), also the panel widget.js shows in an iframe. Its
 * settings come from data attributes of <body> (the page's CSP allows no inline script). Embedded,
 * it takes commands from the host page by postMessage and says `bp:ready` once the session is open;
 * the host page also says when its panel is opened or closed (`visible`), for read receipts.
 */
type Command =
  | { bp: 'referral'; ref: string; pageUrl?: string }
  | { bp: 'identify'; firstName?: string; lastName?: string; externalId?: string };

async function main(): Promise<void> {
  const body = document.body;
  const widgetKey = body.dataset.widgetKey ?? '';
  const ref = body.dataset.ref || null;
  const embedded = body.dataset.embedded === 'true';
  const pageUrl = body.dataset.page || location.href;
  const api = new ChatApi(location.origin, widgetKey);
  const root = document.getElementById('bp-chat') ?? body;
  const view = new ChatView(
    root,
    body.dataset.title ?? 'Chat',
    (text) => void api.send('text', text).catch(() => view.error('Not sent. Try again.')),
    (type, title, payload) =>
      void api.send(type, title, payload).catch(() => view.error('Not sent. Try again.')),
  );
  // Embedded, the chat is seen only while the host page's panel is open (it says so).
  let panelOpen = !embedded;
  const receipts = new Receipts(
    (kind, watermark) => api.receipt(kind, watermark),
    () => document.visibilityState === 'visible' && panelOpen,
  );
  document.addEventListener('visibilitychange', () => receipts.seen());
  const pending: Command[] = [];
  let started = false;
  // Commands run one after another, in the order the host page gave them (identify, then referral).
  let chain: Promise<unknown> = Promise.resolve();
  const run = (command: Command): void => {
    if (!started) {
      pending.push(command);
      return;
    }
    chain = chain
      .then(() =>
        command.bp === 'referral'
          ? api.referral(command.ref, command.pageUrl ?? pageUrl)
          : api.identify({
              firstName: command.firstName,
              lastName: command.lastName,
              externalId: command.externalId,
            }),
      )
      .catch(() => view.error('Not sent. Try again.'));
  };
  if (embedded) {
    window.addEventListener('message', (event: MessageEvent<Command>) => {
      if (event.source !== window.parent || typeof event.data !== 'object' || event.data === null)
        return;
      if (event.data.bp === 'referral' && typeof event.data.ref === 'string') run(event.data);
      if (event.data.bp === 'identify') run(event.data);
      const visible = event.data as { bp: string; visible?: unknown };
      if (visible.bp === 'visible' && typeof visible.visible === 'boolean') {
        panelOpen = visible.visible;
        receipts.seen();
      }
    });
  }
  try {
    await api.start(ref, pageUrl);
  } catch {
    view.error('The chat is not available right now.');
    return;
  }
  started = true;
  pending.splice(0).forEach(run);
  if (embedded) window.parent.postMessage({ bp: 'ready' }, '*');
  void api.listen((message) => {
    view.show(message);
    receipts.shown(message.id);
  });
}

void main();
