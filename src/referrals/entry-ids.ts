import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SequenceIds } from '../database';

/**
 * Ids for new referral entries, taken ahead from `referral_entries_id_seq` (SequenceIds), so the
 * statement writing a batch's entries travels with the transaction's next one. Nothing relies on
 * entry ids following the order entries were written in: entries are read in the order of
 * `occurred_at`, the id only breaking ties.
 */
@Injectable()
export class EntryIds extends SequenceIds {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, 'referral_entries_id_seq');
  }
}
