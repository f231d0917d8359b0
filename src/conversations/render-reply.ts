import { Injectable } from '@nestjs/common';
import { type Channel } from '../contacts';
import { type Content, CreatorService, type PersonalisationContext } from '../creator';
import { type Decision } from './dispatcher';
import { type InboundEvent } from './inbound-event';
import { THREAD_CONTROL, type ThreadControlPayload } from './senders/channel-sender';

type Payload = Record<string, unknown>;

/** One message of a reply, rendered for its channel, as stored. */
export interface RenderedMessage {
  kind: string;
  text: string | null;
  payload: Payload;
}

/** A rendered text can come out empty (a lone placeholder without a value); channels refuse those. */
function isEmpty(payload: Payload): boolean {
  return payload.text === '' && payload.attachment === undefined;
}

/**
 * The bot stays silent on a conversation a human agent holds (handed over, or another app owns the
 * thread: Messenger standby): the event is logged and counted, nothing is answered.
 */
export function botIsSilent(event: InboundEvent, handedOver: boolean): boolean {
  return event.standby || handedOver;
}

/**
 * Renders replies: an answer's content for a channel (personalised, empty texts dropped), and the
 * thread-control action a handover sends after it. Pure: no statement, no state.
 */
@Injectable()
export class RenderReply {
  constructor(private readonly creator: CreatorService) {}

  /**
   * The messages answering an inbound event on a conversation (`handedOver`: as it was opened),
   * as the dispatcher decided: the answer's content, then, when the answer hands the
   * conversation over, the pass of the thread to the agent's app. None when the bot is silent.
   */
  forTurn(event: InboundEvent, handedOver: boolean, decision: Decision): RenderedMessage[] {
    if (botIsSilent(event, handedOver)) return [];
    const content = decision.answer?.content;
    const messages = content
      ? this.render(event.channel, content, {
          contact: { firstName: event.contact.firstName, lastName: event.contact.lastName },
          referral: { trackingParam: decision.referral?.trackingParam ?? null },
        })
      : [];
    const handover = decision.answer?.handover;
    if (handover) {
      // After the module's content: the person reads it before the agent's app owns the thread.
      const pass = this.threadControl(event.channel, {
        action: 'pass',
        targetAppId: handover.targetAppId ?? null,
        metadata: handover.note,
      });
      if (pass) messages.push(pass);
    }
    return messages;
  }

  /** Content rendered for a channel, one stored message per content message that is not empty. */
  render(channel: Channel, content: Content, ctx: PersonalisationContext): RenderedMessage[] {
    const payloads = this.renderFor(channel, content, ctx);
    return payloads
      .map((payload, index) => ({
        kind: content.messages[index]?.type ?? 'text',
        text: typeof payload.text === 'string' ? payload.text : null,
        payload,
      }))
      .filter((message) => !isEmpty(message.payload));
  }

  /**
   * The stored form of a thread-control action, for channels where threads have an owner app
   * (Messenger's Handover Protocol); null on channels without one (the widget).
   */
  threadControl(
    channel: Channel,
    action: ThreadControlPayload[typeof THREAD_CONTROL],
  ): RenderedMessage | null {
    switch (channel) {
      case 'messenger':
        return { kind: THREAD_CONTROL, text: null, payload: { [THREAD_CONTROL]: action } };
      case 'widget':
        return null;
    }
  }

  private renderFor(channel: Channel, content: Content, ctx: PersonalisationContext): Payload[] {
    switch (channel) {
      case 'messenger':
        return this.creator.renderForMessenger(content, ctx) as unknown as Payload[];
      case 'widget':
        return this.creator.renderForWidget(content, ctx);
    }
  }
}
