import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';

/**
 * The statements of folding one contact's conversation into another's (ContactMergeService), all
 * in the caller's transaction. Not prepared: a merge is rare (a checkbox opt-in's first message).
 */
@Injectable()
export class ContactMergeRepository {
  /**
   * The bot's conversation with the contact, locked FOR UPDATE until the transaction ends (so no
   * inbound event writes it meanwhile); undefined when there is none.
   */
  async lockConversation(
    tx: EntityManager,
    botId: string,
    contactId: string,
  ): Promise<{ id: string } | undefined> {
    const [row] = await tx.query<{ id: string }[]>(
      `SELECT id FROM conversations WHERE bot_id = $1 AND contact_id = $2 FOR UPDATE`,
      [botId, contactId],
    );
    return row;
  }

  /** Gives a conversation, as it is, to another contact. */
  async moveConversation(
    tx: EntityManager,
    conversationId: string,
    contactId: string,
  ): Promise<void> {
    await tx.query(`UPDATE conversations SET contact_id = $2 WHERE id = $1`, [
      conversationId,
      contactId,
    ]);
  }

  /**
   * Moves the messages and replies of conversation `fromId` to `toId`, which keeps the earlier
   * start and its first referral, the later inbound time and its last referral, and a handover of
   * either. `fromId`'s row goes with its contact (deleted by the merge, ON DELETE CASCADE).
   */
  async foldConversation(tx: EntityManager, fromId: string, toId: string): Promise<void> {
    await tx.query(
      `WITH messages AS (
         UPDATE messages SET conversation_id = $2 WHERE conversation_id = $1
       ), replies AS (
         UPDATE replies SET conversation_id = $2 WHERE conversation_id = $1
       )
       UPDATE conversations t
          SET started_at = LEAST(t.started_at, f.started_at),
              last_inbound_at = GREATEST(t.last_inbound_at, f.last_inbound_at),
              first_referral_id = CASE WHEN f.started_at < t.started_at
                THEN COALESCE(f.first_referral_id, t.first_referral_id)
                ELSE COALESCE(t.first_referral_id, f.first_referral_id) END,
              last_referral_id = CASE WHEN f.last_inbound_at > t.last_inbound_at
                THEN COALESCE(f.last_referral_id, t.last_referral_id)
                ELSE COALESCE(t.last_referral_id, f.last_referral_id) END,
              handed_over = t.handed_over OR f.handed_over,
              handed_over_at = COALESCE(t.handed_over_at, f.handed_over_at),
              handover_note = COALESCE(t.handover_note, f.handover_note),
              updated_at = now()
         FROM conversations f
        WHERE t.id = $2 AND f.id = $1`,
      [fromId, toId],
    );
  }
}
