import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type Contact, type ContactKey, type ContactNames, ContactsService } from '../../contacts';
import { prepared } from '../../database';
import { ConversationsService } from '../../conversations';
import { type InboxStatus } from '../entities/inbox-item.entity';
import { GraphApiClient } from '../graph/graph-api.client';
import { PageDirectory } from '../page-directory';
import { normalise } from './normalise';

interface InboxRow {
  id: string;
  pageId: string;
  botId: string | null;
  senderKey: string | null;
  standby: boolean;
  occurredAt: Date;
  payload: Record<string, unknown>;
  status: InboxStatus;
}

const INBOX_COLUMNS = `id, page_id AS "pageId", bot_id AS "botId", sender_key AS "senderKey", standby,
  occurred_at AS "occurredAt", payload, status`;

/**
 * Turns a stored webhook item into conversation work. Items of one contact are handled one at a
 * time, oldest first: the job takes a per-contact lock, then handles every pending item of that
 * contact up to its own, each in the same transaction as its effects, so a redelivered or retried
 * item is answered and counted exactly once.
 */
@Injectable()
export class MessengerInboundService {
  private readonly logger = new Logger(MessengerInboundService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
    private readonly conversations: ConversationsService,
    private readonly pages: PageDirectory,
    private readonly graph: GraphApiClient,
  ) {}

  async process(inboxId: string): Promise<void> {
    const [item] = await prepared<InboxRow[]>(
      this.dataSource.manager,
      'messenger_inbox_get',
      `SELECT ${INBOX_COLUMNS} FROM messenger_inbox WHERE id = $1`,
      [inboxId],
    );
    if (!item || item.status !== 'pending') return;
    const botId = item.botId ?? (await this.pages.botIdFor(item.pageId));
    const who = normalise(item.payload);
    if (!botId || !who) {
      await this.mark(
        this.dataSource.manager,
        item.id,
        'ignored',
        botId ? 'NO_SENDER' : 'PAGE_NOT_CONNECTED',
      );
      return;
    }
    const key = {
      botId,
      channel: 'messenger' as const,
      externalId: who.externalId,
      externalIdKind: who.externalIdKind,
    };
    const profile = await this.lookUpProfile(key);

    const replyIds = await this.dataSource.transaction(async (tx) => {
      // The lock runs first (a materialised CTE on the outer side); FOR UPDATE then re-checks each
      // row, so items another job finished while this one waited are skipped.
      const queue = await prepared<InboxRow[]>(
        tx,
        'messenger_inbox_contact_pending',
        `WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended($1 || '|' || $2, 0)))
         SELECT item.* FROM lock CROSS JOIN LATERAL (
           SELECT ${INBOX_COLUMNS} FROM messenger_inbox
            WHERE page_id = $1 AND sender_key = $2 AND status = 'pending'
              AND (occurred_at, id) <= ($3, $4::bigint)
            ORDER BY occurred_at, id
            FOR UPDATE
         ) item`,
        [item.pageId, item.senderKey, item.occurredAt, item.id],
      );
      if (queue.length === 0) return [];
      const { contact } = await this.contacts.recordSeen(key, queue[0].occurredAt, tx, profile);
      const replies: string[] = [];
      for (const row of queue) {
        // An earlier item that fails must not block this one: it stays pending for its own job.
        const replyId =
          row.id === item.id
            ? await this.handle(tx, row, botId, contact)
            : await tx
                .transaction((savepoint) => this.handle(savepoint, row, botId, contact))
                .catch((error: Error) => {
                  this.logger.warn(`Inbox item ${row.id} left for its own job: ${error.message}`);
                  return null;
                });
        if (replyId) replies.push(replyId);
      }
      return replies;
    });
    await this.conversations.enqueueReplies(replyIds);
  }

  /** Records a failure that retrying will not fix, so the item stops being retried and swept. */
  async fail(inboxId: string, reason: string): Promise<void> {
    await this.mark(this.dataSource.manager, inboxId, 'failed', reason.slice(0, 1000));
  }

  private async handle(
    tx: EntityManager,
    row: InboxRow,
    botId: string,
    contact: Contact,
  ): Promise<string | null> {
    const normalised = normalise(row.payload);
    if (!normalised) {
      await this.mark(tx, row.id, 'ignored', 'NO_SENDER');
      return null;
    }
    const result = await this.conversations.handleInbound(
      {
        ...normalised,
        botId,
        contactId: contact.id,
        contact: {
          firstName: contact.firstName,
          lastName: contact.lastName,
          firstSeenAt: contact.firstSeenAt,
        },
        channel: 'messenger',
        occurredAt: row.occurredAt,
        standby: row.standby,
      },
      tx,
    );
    await this.mark(tx, row.id, 'processed', null);
    return result.replyId;
  }

  /**
   * The contact's profile names, looked up on the Graph API the first time the contact is seen
   * (before the transaction: no lock is held during the call). Undefined when nothing is to be
   * looked up; null names after a failed lookup, which is recorded too so it is not repeated.
   */
  private async lookUpProfile(
    key: ContactKey,
  ): Promise<{ names: ContactNames | null } | undefined> {
    if (key.externalIdKind !== 'psid') return undefined;
    const existing = await this.contacts.find(key);
    if (existing?.profileFetched) return undefined;
    const page = await this.pages.pageOf(key.botId);
    const names = page ? await this.graph.getProfile(page.accessToken, key.externalId) : null;
    return { names };
  }

  private async mark(
    manager: EntityManager,
    id: string,
    status: InboxStatus,
    note: string | null,
  ): Promise<void> {
    await prepared(
      manager,
      'messenger_inbox_mark',
      `UPDATE messenger_inbox SET status = $2, note = $3, processed_at = now() WHERE id = $1`,
      [id, status, note],
    );
  }
}
