import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { ConversationsRepository, type HandoverChange } from './conversations.repository';
import { type Decision } from './dispatcher';
import { type InboundEvent } from './inbound-event';
import { botIsSilent } from './render-reply';

/**
 * Who holds a conversation after an inbound event, when the event changes it: the bot's answer
 * hands it to a human agent (never while the bot is silent), the channel says another app took
 * the thread (`started`) or gave it back (`ended`, a release: it wins over a handover). Null
 * when the event leaves it as it is. The referral a conversation came through is set as it is
 * opened (ConversationsRepository.openAndLog), not here.
 */
export function handoverChangeOf(
  event: InboundEvent,
  conversation: { id: string; handedOver: boolean },
  decision: Decision,
): HandoverChange | null {
  const answered = botIsSilent(event, conversation.handedOver) ? null : decision.answer?.handover;
  const control = event.threadControl;
  const taken = control?.change === 'started';
  const release = control?.change === 'ended';
  if (!answered && !taken && !release) return null;
  return {
    conversationId: conversation.id,
    handover: Boolean(answered) || taken,
    handoverNote: answered
      ? answered.note
      : taken
        ? (control.metadata ?? `Thread taken by app ${control.appId ?? 'unknown'}`)
        : null,
    release,
  };
}

/**
 * Updates who holds conversations: handed to a human agent, or released back to the bot. The
 * rule "handover is sticky until released" is applied by Postgres to the row it has
 * (ConversationRules.handoverStickyUntilReleased). One statement, only when something changes.
 */
@Injectable()
export class UpdateConversationState {
  constructor(private readonly repository: ConversationsRepository) {}

  /** Applies the changes in the caller's transaction; one per conversation. */
  async apply(tx: EntityManager, changes: HandoverChange[]): Promise<void> {
    if (new Set(changes.map((change) => change.conversationId)).size !== changes.length)
      throw new Error('UpdateConversationState: one change per conversation');
    await this.repository.changeHands(tx, changes);
  }
}
