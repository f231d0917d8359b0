import { type InboxRow, type NewInboxItem, type Outcome } from '../inbox.repository';

/**
 * A webhook item not stored yet, handed to the batch that stores it in its own transaction
 * (`storeAndProcess`): its row as it will be stored (its id taken ahead, InboxIds) and what to
 * insert (`arriving`, status pending).
 */
export interface ArrivingRow extends InboxRow {
  arriving: NewInboxItem;
}

/** Whether `item` (a row, or an inbox id asked for) is arriving: handed over unstored. */
export const isArriving = (item: string | InboxRow): item is ArrivingRow =>
  typeof item !== 'string' && 'arriving' in item;

/**
 * The rows to insert for `items`' arriving ones, with their ids; one `ignored` (an outcome of the
 * batch's) is stored with that outcome instead of pending.
 */
export function arrivingRowsOf(
  items: InboxRow[],
  ignored: Outcome[],
): (NewInboxItem & { id: string })[] {
  const outcomes = new Map(ignored.map((outcome) => [outcome.id, outcome]));
  return items.filter(isArriving).map((item) => {
    const outcome = outcomes.get(item.id);
    const row = { ...item.arriving, id: item.id };
    return outcome ? { ...row, status: outcome.status, note: outcome.note } : row;
  });
}

/**
 * How long items the webhook hands over unstored (`storeAndProcess`) may wait for a batch to take
 * them: Meta's 200 waits for their batch, and Meta allows 5 s.
 */
export const ARRIVING_START_WITHIN_MS = 500;
