import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Channel, type ExternalIdKind } from '../../contacts';
import { findPlugIns } from '../../common/plug-ins';

export interface Recipient {
  externalId: string;
  externalIdKind: ExternalIdKind;
}

/**
 * The key of a stored outbound message that is no message but a change of thread ownership: the
 * conversation's channel hands the thread to another app (`pass`, with the app and a note) or takes
 * it back (`take`). Sent in order with the reply's messages, through the same queue and retries.
 */
export const THREAD_CONTROL = 'thread_control';

export interface ThreadControlPayload {
  [THREAD_CONTROL]: {
    action: 'pass' | 'take';
    /** For `pass`: the app to pass to; null for the channel's default. */
    targetAppId: string | null;
    metadata: string | null;
  };
}

/** Whether a stored outbound payload is a thread-control action rather than a message. */
export function isThreadControl(payload: Record<string, unknown>): boolean {
  return typeof payload[THREAD_CONTROL] === 'object' && payload[THREAD_CONTROL] !== null;
}

/** A failure says whether trying again later can help (network, rate limits) or not (blocked user). */
export type SendOutcome =
  | { ok: true; externalId: string | null }
  | { ok: false; retryable: boolean; code: number | null; subcode: number | null; message: string };

/**
 * How a channel delivers one rendered message. Channels implement it in their own module and mark
 * the provider with @ChannelSenderFor('messenger'); conversations never import a channel.
 */
/** A failure the channel did not give a code for (network, configuration, local limits). */
export function sendFailure(message: string, retryable: boolean): SendOutcome {
  return { ok: false, retryable, code: null, subcode: null, message };
}

/**
 * How a message is sent, in channel-neutral terms; each channel maps them to its own fields
 * (Messenger: `messaging_type`, `tag`, `recipient.notification_messages_token`) and ignores what it
 * has no use for. Replies send with none: an answer within the messaging window.
 */
export interface SendOptions {
  /** `update`: sent unprompted within the window; `tagged`: outside it, under `tag`. */
  purpose?: 'response' | 'update' | 'tagged';
  /** The message tag of a `tagged` send (Meta: ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, ...). */
  tag?: string;
  /** Sent to the person's marketing-messages subscription with this token instead of their id. */
  notificationToken?: string;
  /** `bulk` sends take the channel's rate budget only as far as replies leave it. */
  priority?: 'reply' | 'bulk';
}

export interface ChannelSender {
  send(
    botId: string,
    recipient: Recipient,
    payload: Record<string, unknown>,
    options?: SendOptions,
  ): Promise<SendOutcome>;
  /**
   * Whether the channel already holds `payload`, sent to `recipient` at or after `since` (a send
   * whose outcome is unknown: the process making it died). `{ externalId }` when it does, `null`
   * when it does not, `undefined` when the channel cannot tell (then the message is sent again).
   */
  findSent?(
    botId: string,
    recipient: Recipient,
    payload: Record<string, unknown>,
    since: Date,
  ): Promise<{ externalId: string | null } | null | undefined>;
}

/** Marks a ChannelSender provider with the channel it sends on (`@ChannelSenderFor('widget')`). */
export const ChannelSenderFor = DiscoveryService.createDecorator<Channel>();

/** The senders of all channels, found at start-up. */
@Injectable()
export class SenderRegistry implements OnModuleInit {
  private readonly senders = new Map<string, ChannelSender>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const { metadata: channel, instance } of findPlugIns<Channel, ChannelSender>(
      this.discovery,
      ChannelSenderFor,
    )) {
      if (this.senders.has(channel)) throw new Error(`Two senders for channel ${channel}`);
      this.senders.set(channel, instance);
    }
  }

  get(channel: Channel): ChannelSender | undefined {
    return this.senders.get(channel);
  }
}
