/**
 * widget.js: `<script src=".../widget.js" data-widget-key="wk_..." async></script>` adds a launcher
 * and a chat panel (an iframe of the hosted page, the one shared client) and `window.BotWidget`.
 * A `bp_ref` on the page's URL opens the panel with that referral. Styles are set from here, so the
 * host page needs no stylesheet of ours.
 */
interface BotWidgetApi {
  open(): void;
  close(): void;
  referral(trackingParam: string): void;
  identify(fields: { firstName?: string; lastName?: string; externalId?: string }): void;
}

(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  const widgetKey = script?.dataset.widgetKey;
  if (!script || !widgetKey) return;
  const base = new URL(script.src).origin;
  const bpRef = new URL(location.href).searchParams.get('bp_ref');
  let frame: HTMLIFrameElement | null = null;
  let ready = false;
  const queue: Record<string, unknown>[] = [];

  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.textContent = 'Chat';
  launcher.setAttribute('aria-label', 'Open chat');
  Object.assign(launcher.style, {
    position: 'fixed',
    right: '20px',
    bottom: '20px',
    zIndex: '2147483000',
    border: '0',
    borderRadius: '28px',
    padding: '14px 22px',
    background: '#1f6feb',
    color: '#fff',
    font: '600 15px system-ui, sans-serif',
    boxShadow: '0 4px 14px rgba(0,0,0,.25)',
    cursor: 'pointer',
  });
  const panel = document.createElement('div');
  Object.assign(panel.style, {
    position: 'fixed',
    right: '20px',
    bottom: '84px',
    width: 'min(380px, calc(100vw - 40px))',
    height: 'min(600px, calc(100vh - 120px))',
    zIndex: '2147483000',
    display: 'none',
    borderRadius: '12px',
    overflow: 'hidden',
    boxShadow: '0 8px 30px rgba(0,0,0,.3)',
    background: '#fff',
  });

  function ensureFrame(ref: string | null): void {
    if (frame) return;
    const src = new URL(`${base}/chat/${encodeURIComponent(widgetKey!)}`);
    src.searchParams.set('embed', '1');
    src.searchParams.set('page', location.href);
    if (ref) src.searchParams.set('ref', ref);
    frame = document.createElement('iframe');
    frame.title = 'Chat';
    frame.src = src.href;
    Object.assign(frame.style, { width: '100%', height: '100%', border: '0' });
    panel.append(frame);
  }

  function post(message: Record<string, unknown>): void {
    if (ready && frame?.contentWindow) frame.contentWindow.postMessage(message, base);
    else queue.push(message);
  }

  window.addEventListener('message', (event: MessageEvent<{ bp?: string }>) => {
    if (event.origin !== base || event.source !== frame?.contentWindow) return;
    if (event.data?.bp !== 'ready') return;
    ready = true;
    queue.splice(0).forEach(post);
    // The chat counts messages read only while the panel is open: tell it the current state.
    post({ bp: 'visible', visible: panel.style.display !== 'none' });
  });

  const api: BotWidgetApi = {
    open() {
      ensureFrame(null);
      panel.style.display = 'block';
      launcher.setAttribute('aria-label', 'Close chat');
      if (ready) post({ bp: 'visible', visible: true });
    },
    close() {
      panel.style.display = 'none';
      launcher.setAttribute('aria-label', 'Open chat');
      if (ready) post({ bp: 'visible', visible: false });
    },
    referral(trackingParam: string) {
      if (typeof trackingParam !== 'string' || trackingParam === '') return;
      api.open();
      post({ bp: 'referral', ref: trackingParam, pageUrl: location.href });
    },
    identify(fields) {
      ensureFrame(null);
      post({ bp: 'identify', ...fields });
    },
  };
  launcher.addEventListener('click', () =>
    panel.style.display === 'none' ? api.open() : api.close(),
  );
  (window as unknown as { BotWidget: BotWidgetApi }).BotWidget = api;

  function mount(): void {
    document.body.append(panel, launcher);
    if (bpRef) {
      ensureFrame(bpRef);
      api.open();
    }
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
