import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { BulkSendService, type Receipt, type ReceiptListener } from '../conversations';
import { BroadcastsRepository } from './broadcasts.repository';

/**
 * Keeps each broadcast recipient's delivered and read times from the channel's receipts
 * (Messenger's delivery and read watermarks: everything sent up to the watermark), which the
 * conversations core hands to listeners in the inbound transaction.
 */
@Injectable()
export class BroadcastReceipts implements ReceiptListener, OnModuleInit {
  constructor(
    private readonly bulk: BulkSendService,
    private readonly repository: BroadcastsRepository,
  ) {}

  onModuleInit(): void {
    this.bulk.listenToReceipts(this);
  }

  recordReceipts(receipts: Receipt[], tx: EntityManager): Promise<void> {
    return this.repository.recordReceipts(receipts, tx);
  }
}
