import { Injectable, Module } from '@nestjs/common';
import {
  type ChannelSender,
  ChannelSenderFor,
  type Recipient,
  type SendOutcome,
} from '../../../src/conversations';

/**
 * A channel on loopback of the test itself: every send is recorded, and answered with the next
 * scripted outcome (success when the script is empty). It stands in for the channel's transport
 * only: claims, records and the replies' rows are the real ones, on the real database.
 */
@Injectable()
@ChannelSenderFor('messenger')
export class ScriptedSender implements ChannelSender {
  readonly sent: { psid: string; text: unknown }[] = [];
  readonly script: SendOutcome[] = [];

  send(_botId: string, recipient: Recipient, payload: Record<string, unknown>) {
    const outcome = this.script.shift() ?? { ok: true, externalId: `mid.${this.sent.length}` };
    if (outcome.ok) this.sent.push({ psid: recipient.externalId, text: payload.text });
    return Promise.resolve(outcome);
  }
}

@Module({ providers: [ScriptedSender] })
export class ScriptedChannelModule {}
