import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Queue } from 'bull';
import { DataSource } from 'typeorm';
import { GroupCommit } from '../../common/group-commit';
import { prepared } from '../../database';
import { enqueueSafely, type JobPayloads, QueueName } from '../../queues';
import { type InboxStatus } from '../entities/inbox-item.entity';
import { MessengerErrors } from '../messenger.errors';
import { PageDirectory } from '../page-directory';
import { classify, type ClassifiedItem, UNHANDLED_KINDS } from './classify';
import { EnvelopeError, parseEnvelope } from './envelope';
import { IntakeRate } from './intake-rate';

type InboundPayload = JobPayloads[typeof QueueName.MessengerInbound];

interface Row extends ClassifiedItem {
  botId: string | null;
  status: InboxStatus;
  note: string | null;
}

/** What storing an item did: the new row, or null for a duplicate of a stored item. */
type Stored = { id: string; status: InboxStatus } | null;

// eslint-disable-next-line no-control-regex -- NUL is exactly what Postgres refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The item as jsonb text. Postgres refuses NUL and lone surrogates in jsonb; JSON.stringify writes
 * both as \u escapes (\u0000, \ud8xx), so a cheap test finds the rare item that needs cleaning.
 */
function itemJson(item: unknown): string {
  const json = JSON.stringify(item);
  if (!json.includes('\\u0000') && !json.includes('\\ud')) return json;
  return JSON.stringify(item, (_key, value: unknown) =>
    typeof value === 'string'
      ? value.replace(UNSTORABLE, (c) => (c === '\u0000' ? '' : '\uFFFD'))
      : value,
  );
}

function triage(item: ClassifiedItem, botId: string | null): Row {
  const ignore = (note: string): Row => ({ ...item, botId, status: 'ignored', note });
  if (!botId) return ignore('PAGE_NOT_CONNECTED');
  if (!item.senderKey) return ignore('NO_SENDER');
  if (UNHANDLED_KINDS.has(item.kind)) return ignore(`NOT_ANSWERED: ${item.kind}`);
  return { ...item, botId, status: 'pending', note: null };
}

/**
 * The webhook's work: store every item durably, then queue the new ones. Concurrent deliveries are
 * stored together (group commit), one statement and one enqueue per group. Postgres failing is
 * the caller's 503; Redis failing only delays processing (the inbox sweeper queues what is left).
 */
@Injectable()
export class MessengerIntakeService {
  private readonly logger = new Logger(MessengerIntakeService.name);
  /** Rows of concurrent deliveries stored together; one Postgres refuses fails alone. */
  private readonly inbox = new GroupCommit<Row, Stored>((rows) => this.store(rows), {
    retryAlone: (error, rows) =>
      this.logger.warn(
        `Storing ${rows} webhook items together failed (${(error as Error).message}); storing them one by one`,
      ),
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.MessengerInbound) private readonly queue: Queue<InboundPayload>,
    private readonly pages: PageDirectory,
    private readonly rate: IntakeRate,
  ) {}

  /** Returns how many items were new. Resolves once they are committed. */
  async receive(body: unknown): Promise<number> {
    this.rate.record();
    let items: ClassifiedItem[];
    try {
      const receivedAt = Date.now();
      items = parseEnvelope(body).map((item) => classify(item, receivedAt));
    } catch (error) {
      if (error instanceof EnvelopeError) throw MessengerErrors.invalidBody(error.message);
      throw error;
    }
    if (items.length === 0) return 0;
    try {
      const rows = await Promise.all(
        items.map(async (item) => triage(item, await this.pages.botIdFor(item.pageId))),
      );
      // Row by row, so the items Postgres takes are kept when it refuses one of them.
      const stored = await Promise.allSettled(rows.map((row) => this.inbox.submit([row])));
      const refused = stored.find((result) => result.status === 'rejected');
      if (refused) throw refused.reason;
      return stored.filter((result) => result.status === 'fulfilled' && result.value[0]).length;
    } catch (error) {
      this.logger.error(`Could not store webhook items: ${(error as Error).message}`);
      throw MessengerErrors.storageUnavailable();
    }
  }

  private async store(rows: Row[]): Promise<Stored[]> {
    const inserted = await prepared<{ id: string; status: InboxStatus; dedupeKey: string }[]>(
      this.dataSource.manager,
      'messenger_inbox_insert',
      `INSERT INTO messenger_inbox
         (dedupe_key, page_id, bot_id, sender_key, kind, standby, occurred_at, payload, status, note)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[],
                            $6::boolean[], $7::timestamptz[], $8::jsonb[], $9::varchar[], $10::text[])
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, status, dedupe_key AS "dedupeKey"`,
      [
        rows.map((r) => r.dedupeKey),
        rows.map((r) => r.pageId),
        rows.map((r) => r.botId),
        rows.map((r) => r.senderKey),
        rows.map((r) => r.kind),
        rows.map((r) => r.standby),
        rows.map((r) => r.occurredAt),
        rows.map((r) => itemJson(r.item)),
        rows.map((r) => r.status),
        rows.map((r) => r.note),
      ],
    );
    // Not awaited: the items are safe in Postgres, and the webhook should answer without Redis.
    void enqueueSafely(
      this.queue,
      inserted
        .filter((row) => row.status === 'pending')
        .map((row) => ({ data: { inboxId: row.id }, jobId: row.id })),
      this.logger,
    );
    // The same item twice in one group: only its first occurrence is new.
    const byKey = new Map(inserted.map((row) => [row.dedupeKey, row]));
    return rows.map((row) => {
      const stored = byKey.get(row.dedupeKey);
      byKey.delete(row.dedupeKey);
      return stored ? { id: stored.id, status: stored.status } : null;
    });
  }
}
