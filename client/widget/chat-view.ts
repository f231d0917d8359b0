import { type ShownMessage } from './chat-api';

type Tap = (type: 'quickReply' | 'postback', title: string, payload: string) => void;

/** Every text goes in as textContent, never as HTML: content and visitors cannot inject markup. */
function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The chat's DOM: the log of bubbles, quick-reply chips, the compose box. */
export class ChatView {
  readonly log = element('ol', 'bp-log');
  private readonly chips = element('div', 'bp-chips');
  private readonly input = element('input', 'bp-input');

  constructor(
    root: HTMLElement,
    title: string,
    onText: (text: string) => void,
    private readonly onTap: Tap,
  ) {
    const header = element('header', 'bp-header', title);
    this.log.setAttribute('aria-live', 'polite');
    const form = element('form', 'bp-compose');
    this.input.placeholder = 'Write a message…';
    this.input.maxLength = 2000;
    this.input.setAttribute('aria-label', 'Message');
    const send = element('button', 'bp-send', 'Send');
    send.type = 'submit';
    form.append(this.input, send);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = '';
      this.mine(text);
      onText(text);
    });
    root.append(header, this.log, this.chips, form);
  }

  /** The visitor's own message. */
  mine(text: string): void {
    this.chips.replaceChildren();
    this.add(element('li', 'bp-bubble bp-mine', text));
  }

  show({ message }: ShownMessage): void {
    const text = typeof message.text === 'string' ? message.text : '';
    switch (message.type) {
      case 'text':
        this.add(element('li', 'bp-bubble bp-bot', text));
        break;
      case 'image': {
        const url = safeUrl(message.url);
        if (!url) return;
        const item = element('li', 'bp-bubble bp-bot bp-image');
        const image = element('img', 'bp-img');
        image.src = url;
        image.alt = '';
        item.append(image);
        this.add(item);
        break;
      }
      case 'buttons': {
        const item = element('li', 'bp-bubble bp-bot', text);
        const row = element('div', 'bp-buttons');
        for (const button of (message.buttons as Record<string, string>[]) ?? []) {
          const url = button.type === 'url' ? safeUrl(button.url) : null;
          if (url) {
            const link = element('a', 'bp-button', button.title);
            link.href = url;
            link.target = '_blank';
            link.rel = 'noopener noreferrer';
            row.append(link);
          } else if (button.type === 'postback') {
            const tap = element('button', 'bp-button', button.title);
            tap.type = 'button';
            tap.addEventListener('click', () => {
              this.mine(button.title);
              this.onTap('postback', button.title, button.payload);
            });
            row.append(tap);
          }
        }
        item.append(row);
        this.add(item);
        break;
      }
      case 'quickReplies': {
        this.add(element('li', 'bp-bubble bp-bot', text));
        this.chips.replaceChildren();
        for (const reply of (message.replies as Record<string, string>[]) ?? []) {
          const chip = element('button', 'bp-chip', reply.title);
          chip.type = 'button';
          chip.addEventListener('click', () => {
            this.mine(reply.title);
            this.onTap('quickReply', reply.title, reply.payload);
          });
          this.chips.append(chip);
        }
        break;
      }
    }
  }

  error(text: string): void {
    this.add(element('li', 'bp-bubble bp-error', text));
  }

  private add(node: HTMLElement): void {
    this.log.append(node);
    node.scrollIntoView({ block: 'end' });
  }
}
