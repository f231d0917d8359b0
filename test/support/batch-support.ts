import { escapeLiteral, type Pool } from 'pg';
import { createReferral, text } from './fixtures';
import { startMessengerApp, type MessengerTestApp } from './messenger-harness';
import { changeSchema } from './schema-change';

/** The inbox ids of the items the given PSIDs sent, oldest first. */
export async function inboxIdsOf(db: Pool, psids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM messenger_inbox WHERE payload->'sender'->>'id' = ANY($1) ORDER BY id`,
    [psids],
  );
  return rows.map((row) => row.id);
}

/** Each PSID's items' statuses, oldest first, joined by commas (`processed,pending`). */
export async function inboxStatusesOf(db: Pool, psids: string[]): Promise<Record<string, string>> {
  const { rows } = await db.query<{ psid: string; status: string }>(
    `SELECT payload->'sender'->>'id' AS psid, string_agg(status, ',' ORDER BY id) AS status
       FROM messenger_inbox WHERE payload->'sender'->>'id' = ANY($1) GROUP BY 1`,
    [psids],
  );
  return Object.fromEntries(rows.map((row) => [row.psid, row.status]));
}

/**
 * Makes Postgres refuse every referral entry of the raw ref `rawRef`: a real failure inside an
 * inbound batch, for one item only.
 */
export async function refuseEntriesOf(db: Pool, rawRef: string): Promise<void> {
  await changeSchema(
    db,
    `
    CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'entry refused for the test'; END $$;
    CREATE TRIGGER refuse_entry BEFORE INSERT ON referral_entries
      FOR EACH ROW WHEN (NEW.raw_ref = ${escapeLiteral(rawRef)}) EXECUTE FUNCTION refuse_entry();`,
  );
}

/** A statement as node-postgres was handed it: its name when prepared, else its text. */
export function statementLabel(config: unknown): string {
  return typeof config === 'string'
    ? config
    : ((config as { name?: string }).name ?? (config as { text: string }).text);
}

/**
 * An api-role Messenger app (it runs no workers: a test drives the inbound batches itself) with
 * two referrals: `batch`, answered `Hi {{contact.firstName|there}}`, and `explode`, whose entries
 * Postgres refuses (`refuseEntriesOf`).
 */
export async function startBatchApp(): Promise<MessengerTestApp> {
  const t = await startMessengerApp({ PROCESS_ROLE: 'api' });
  await createReferral(t.admin, t.botId, {
    trackingParam: 'batch',
    content: text('Hi {{contact.firstName|there}}'),
    segmentName: 'Batch',
  });
  await createReferral(t.admin, t.botId, {
    trackingParam: 'explode',
    content: text('Never sent'),
    segmentName: 'Explode',
  });
  await refuseEntriesOf(t.db, 'explode');
  return t;
}
