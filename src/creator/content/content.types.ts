/**
 * The content a bot answers with, as stored and as sent over the public API. Channels never see
 * it directly: the renderers turn it into each channel's payload.
 */
export interface Content {
  messages: ContentMessage[];
}

export type ContentMessage = TextMessage | ImageMessage | ButtonsMessage | QuickRepliesMessage;

export interface TextMessage {
  type: 'text';
  /** May hold personalisation placeholders such as `{{contact.firstName}}`. */
  text: string;
}

export interface ImageMessage {
  type: 'image';
  url: string;
}

export interface ButtonsMessage {
  type: 'buttons';
  text: string;
  buttons: ContentButton[];
}

export type ContentButton = UrlButton | ModuleButton;

export interface UrlButton {
  type: 'url';
  title: string;
  url: string;
}

/** Starts the module instance `moduleId` when pressed. */
export interface ModuleButton {
  type: 'module';
  title: string;
  moduleId: string;
}

export interface QuickRepliesMessage {
  type: 'quickReplies';
  text: string;
  replies: QuickReply[];
}

export interface QuickReply {
  title: string;
  moduleId: string;
}

export const MESSAGE_TYPES = [
  'text',
  'image',
  'buttons',
  'quickReplies',
] as const satisfies readonly ContentMessage['type'][];

export const BUTTON_TYPES = ['url', 'module'] as const satisfies readonly ContentButton['type'][];

/**
 * Meta's Messenger limits; the widget shares them so one content looks the same everywhere.
 * Lengths are in characters as Meta counts them: Unicode code points.
 */
export const CONTENT_LIMITS = {
  minMessages: 1,
  maxMessages: 10,
  /** Text of a text or quick replies message. */
  textMaxLength: 2000,
  /** Text of a buttons message: Messenger's button template allows less. */
  buttonsTextMaxLength: 640,
  minButtons: 1,
  maxButtons: 3,
  minReplies: 1,
  maxReplies: 13,
  titleMaxLength: 20,
  urlMaxLength: 2000,
  fallbackMaxLength: 100,
} as const;
