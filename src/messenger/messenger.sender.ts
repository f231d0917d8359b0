import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config';
import {
  ChannelSenderFor,
  sendFailure,
  THREAD_CONTROL,
  type ChannelSender,
  type Recipient,
  type SendOptions,
  type SendOutcome,
  type ThreadControlPayload,
} from '../conversations';
import { GraphApiClient, type GraphRecipient, type MessagingType } from './graph/graph-api.client';
import { SendRateLimiter } from './graph/send-rate-limiter';
import { PageDirectory } from './page-directory';

/**
 * Delivers rendered messages through the Send API, within the page's rate budget, and the thread
 * control actions stored among them (see THREAD_CONTROL) through the Handover Protocol.
 */
@Injectable()
@ChannelSenderFor('messenger')
export class MessengerSender implements ChannelSender {
  constructor(
    private readonly pages: PageDirectory,
    private readonly graph: GraphApiClient,
    private readonly rate: SendRateLimiter,
    private readonly config: AppConfig,
  ) {}

  async send(
    botId: string,
    recipient: Recipient,
    message: Record<string, unknown>,
    options: SendOptions = {},
  ): Promise<SendOutcome> {
    const page = await this.pages.pageOf(botId);
    if (!page) {
      return sendFailure('MESSENGER_NOT_CONNECTED: the bot has no page', false);
    }
    const to: GraphRecipient =
      recipient.externalIdKind === 'user_ref'
        ? { user_ref: recipient.externalId }
        : { id: recipient.externalId };
    const control = (message as Partial<ThreadControlPayload>)[THREAD_CONTROL];
    if (control) {
      return this.graph.threadControl(
        page.accessToken,
        control.action === 'pass' ? 'pass_thread_control' : 'take_thread_control',
        {
          recipient: to,
          ...(control.action === 'pass' && {
            // The module's app, else the page's, else the server's (the Page Inbox by default).
            target_app_id:
              control.targetAppId ?? page.handoverAppId ?? this.config.messenger.handoverAppId,
          }),
          ...(control.metadata !== null && { metadata: control.metadata.slice(0, 1000) }),
        },
      );
    }
    try {
      await this.rate.acquire(page.pageId, options.priority ?? 'reply');
    } catch (error) {
      return sendFailure((error as Error).message, true);
    }
    // A marketing message names the subscription, not the person (Meta: Marketing Messages,
    // "Send a message": recipient `{ notification_messages_token }`).
    const target = options.notificationToken
      ? { notification_messages_token: options.notificationToken }
      : to;
    return this.graph.sendMessage(
      page.accessToken,
      target,
      message,
      options.notificationToken ? null : messagingTypeOf(options),
      options.tag,
    );
  }

  /**
   * Whether a text message already reached the person (see ChannelSender.findSent): the page's
   * conversation with them holds it. Other kinds of message, and user_ref recipients (no
   * conversation until they write), cannot be told.
   */
  async findSent(
    botId: string,
    recipient: Recipient,
    message: Record<string, unknown>,
    since: Date,
  ): Promise<{ externalId: string | null } | null | undefined> {
    const page = await this.pages.pageOf(botId);
    if (!page || recipient.externalIdKind === 'user_ref' || typeof message.text !== 'string')
      return undefined;
    const found = await this.graph.findSentText(
      page.accessToken,
      recipient.externalId,
      message.text,
      since.getTime(),
    );
    return found && { externalId: found.messageId };
  }
}

/** Meta's `messaging_type` for the channel-neutral purpose of a send. */
export function messagingTypeOf(options: SendOptions): MessagingType {
  switch (options.purpose) {
    case 'update':
      return 'UPDATE';
    case 'tagged':
      return 'MESSAGE_TAG';
    case 'response':
    case undefined:
      return 'RESPONSE';
  }
}
