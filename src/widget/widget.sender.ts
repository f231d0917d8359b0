import { Injectable } from '@nestjs/common';
import {
  ChannelSenderFor,
  sendFailure,
  type ChannelSender,
  type Recipient,
  type SendOutcome,
} from '../conversations';
import { WidgetRepository } from './widget.repository';
import { WidgetStreams } from './widget-streams';

/**
 * Delivers rendered widget messages: stores each for the visitor (what polling and resumed streams
 * read), then publishes it to the processes streaming to that visitor without waiting for Redis
 * (a stream that misses the publish reads the message from Postgres).
 */
@Injectable()
@ChannelSenderFor('widget')
export class WidgetSender implements ChannelSender {
  constructor(
    private readonly repository: WidgetRepository,
    private readonly streams: WidgetStreams,
  ) {}

  async send(
    botId: string,
    recipient: Recipient,
    payload: Record<string, unknown>,
  ): Promise<SendOutcome> {
    if (recipient.externalIdKind !== 'visitor')
      return sendFailure(
        `WIDGET_RECIPIENT_INVALID: ${recipient.externalIdKind} is no visitor`,
        false,
      );
    let published;
    try {
      published = await this.repository.insertMessage(botId, recipient.externalId, payload);
    } catch (error) {
      return sendFailure((error as Error).message, true);
    }
    this.streams.publish(botId, recipient.externalId, published);
    return { ok: true, externalId: published.message.id };
  }

  /** A send whose outcome is unknown: the message is stored here, so this can always tell. */
  async findSent(
    botId: string,
    recipient: Recipient,
    payload: Record<string, unknown>,
    since: Date,
  ): Promise<{ externalId: string | null } | null> {
    const id = await this.repository.findSent(botId, recipient.externalId, payload, since);
    return id === null ? null : { externalId: id };
  }
}
