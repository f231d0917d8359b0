import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Queue } from 'bull';
import { DataSource } from 'typeorm';
import { enqueueSafely, type JobPayloads, QueueName } from '../../queues';
import { type InboxStatus } from '../entities/inbox-item.entity';
import { MessengerErrors } from '../messenger.errors';
import { PageDirectory } from '../page-directory';
import { classify, type ClassifiedItem, UNHANDLED_KINDS } from './classify';
import { EnvelopeError, parseEnvelope } from './envelope';

type InboundPayload = JobPayloads[typeof QueueName.MessengerInbound];

interface Row extends ClassifiedItem {
  botId: string | null;
  status: InboxStatus;
  note: string | null;
}

function triage(item: ClassifiedItem, botId: string | null): Row {
  const ignore = (note: string): Row => ({ ...item, botId, status: 'ignored', note });
  if (!botId) return ignore('PAGE_NOT_CONNECTED');
  if (!item.senderKey) return ignore('NO_SENDER');
  if (UNHANDLED_KINDS.has(item.kind)) return ignore(`NOT_ANSWERED: ${item.kind}`);
  return { ...item, botId, status: 'pending', note: null };
}

/**
 * The webhook's work: store every item durably (one statement, duplicates skipped), then queue
 * the new ones. Postgres failing is the caller's 503; Redis failing only delays processing.
 */
@Injectable()
export class MessengerIntakeService {
  private readonly logger = new Logger(MessengerIntakeService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.MessengerInbound) private readonly queue: Queue<InboundPayload>,
    private readonly pages: PageDirectory,
  ) {}

  /** Returns how many items were new. */
  async receive(body: unknown): Promise<number> {
    let items: ClassifiedItem[];
    try {
      const receivedAt = Date.now();
      items = parseEnvelope(body).map((item) => classify(item, receivedAt));
    } catch (error) {
      if (error instanceof EnvelopeError) throw MessengerErrors.invalidBody(error.message);
      throw error;
    }
    if (items.length === 0) return 0;
    const created = await this.store(items);
    const pending = created.filter((row) => row.status === 'pending').map((row) => row.id);
    await enqueueSafely(
      this.queue,
      pending.map((inboxId) => ({ data: { inboxId }, jobId: inboxId })),
      this.logger,
    );
    return created.length;
  }

  private async store(items: ClassifiedItem[]): Promise<{ id: string; status: InboxStatus }[]> {
    try {
      const pageIds = [...new Set(items.map((item) => item.pageId))];
      const bots = new Map(
        await Promise.all(pageIds.map(async (id) => [id, await this.pages.botIdFor(id)] as const)),
      );
      const rows = items.map((item) => triage(item, bots.get(item.pageId) ?? null));
      return await this.dataSource.query<{ id: string; status: InboxStatus }[]>(
        `INSERT INTO messenger_inbox
           (dedupe_key, page_id, bot_id, sender_key, kind, standby, occurred_at, payload, status, note)
         SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[],
                              $6::boolean[], $7::timestamptz[], $8::jsonb[], $9::varchar[], $10::text[])
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id, status`,
        [
          rows.map((r) => r.dedupeKey),
          rows.map((r) => r.pageId),
          rows.map((r) => r.botId),
          rows.map((r) => r.senderKey),
          rows.map((r) => r.kind),
          rows.map((r) => r.standby),
          rows.map((r) => r.occurredAt),
          rows.map((r) => JSON.stringify(r.item)),
          rows.map((r) => r.status),
          rows.map((r) => r.note),
        ],
      );
    } catch (error) {
      this.logger.error(`Could not store webhook items: ${(error as Error).message}`);
      throw MessengerErrors.storageUnavailable();
    }
  }
}
