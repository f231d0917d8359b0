import { Client } from 'pg';
import { MessengerInboundService } from '../../src/messenger/inbound/inbound.service';
import {
  inboxIdsOf,
  inboxStatusesOf,
  startBatchApp,
  statementLabel as labelOf,
} from '../support/batch-support';
import { type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef, textMessage } from '../support/messenger-payloads';

/**
 * A new person's contact and conversation are inserted with ids the app gives, in statements that
 * wait for no answer (ContactsService.recordSeenMany's `absent`, ConversationsRepository.openNew):
 * what a new person's later item in the same transaction finds, and what a retry does when the
 * read that found the contact absent was wrong. Driven directly (an api-role app runs no workers).
 */
describe('A new person’s contact and conversation', () => {
  let t: MessengerTestApp;
  let inbound: MessengerInboundService;
  const inboxIds = (psids: string[]) => inboxIdsOf(t.db, psids);
  const statuses = (psids: string[]) => inboxStatusesOf(t.db, psids);

  /** A new person's Get Started with `ref`, then a text 5 ms later; their two inbox ids. */
  const getStartedThenText = async (psid: string, ref: string, text: string) => {
    const now = Date.now();
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid, ref, timestamp: now }),
        textMessage({ pageId: t.pageId, psid, text, timestamp: now + 5 }),
      ]),
    );
    const ids = await inboxIds([psid]);
    expect(ids).toHaveLength(2);
    return { now, ids };
  };
  beforeAll(async () => {
    t = await startBatchApp();
    inbound = t.app.get(MessengerInboundService);
  });
  afterAll(() => t.close());

  it('opens a new contact’s conversation once, as a new one reads, when its older item runs in a savepoint (a batch of one)', async () => {
    const psid = 'new-twice-user';
    const { now, ids } = await getStartedThenText(psid, 'batch', 'still there?');
    // Only the newer item asked: a batch of one, whose contact's older item runs in a savepoint.
    const query = jest.spyOn(Client.prototype, 'query');
    try {
      await inbound.process(ids[1]);
      // The older item opened it (in its savepoint, at once); the newer one found it.
      expect(
        query.mock.calls.filter(([config]) =>
          /"?conversations_open_new@batch/.test(labelOf(config)),
        ),
      ).toHaveLength(1);
    } finally {
      query.mockRestore();
    }

    expect(await statuses([psid])).toEqual({ [psid]: 'processed,processed' });
    const { rows } = await t.db.query(
      `SELECT v.handed_over AS "handedOver", v.started_at AS "startedAt",
              v.last_inbound_at AS "lastInboundAt", f.tracking_param AS first, l.tracking_param AS last,
              (SELECT array_agg(m.text ORDER BY m.id) FROM messages m
                WHERE m.conversation_id = v.id AND m.direction = 'in') AS texts,
              (SELECT array_agg(e.conversation_id = v.id) FROM referral_entries e
                WHERE e.contact_id = c.id) AS "entryOnIt",
              (SELECT count(*)::int FROM replies r JOIN messages m ON m.reply_id = r.id
                WHERE r.conversation_id = v.id AND m.text LIKE 'Hi %') AS answered
         FROM conversations v JOIN contacts c ON c.id = v.contact_id
         LEFT JOIN referrals f ON f.id = v.first_referral_id
         LEFT JOIN referrals l ON l.id = v.last_referral_id
        WHERE c.external_id = $1`,
      [psid],
    );
    expect(rows).toEqual([
      {
        handedOver: false,
        startedAt: new Date(now),
        lastInboundAt: new Date(now + 5),
        first: 'batch',
        last: 'batch',
        texts: ['Get Started', 'still there?'],
        entryOnIt: [true],
        answered: 1,
      },
    ]);
  });

  it('opens a new contact’s conversation for its next item when its first item’s savepoint rolled back', async () => {
    const psid = 'new-rolled-back-user';
    const { now, ids } = await getStartedThenText(psid, 'explode', 'anyone?');
    // The older item fails in its savepoint after its conversation was inserted there.
    await inbound.process(ids[1]);

    expect(await statuses([psid])).toEqual({ [psid]: 'pending,processed' });
    const { rows } = await t.db.query(
      `SELECT v.started_at AS "startedAt", v.first_referral_id AS "firstReferralId",
              (SELECT array_agg(m.text ORDER BY m.id) FROM messages m
                WHERE m.conversation_id = v.id AND m.direction = 'in') AS texts
         FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE c.external_id = $1`,
      [psid],
    );
    expect(rows).toEqual([
      { startedAt: new Date(now + 5), firstReferralId: null, texts: ['anyone?'] },
    ]);
  });

  it('is upserted by the retry of a batch that read a known contact as absent', async () => {
    const psid = 'absent-once-user';
    await t.deliver(
      delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref: 'batch' })]),
    );
    const [first] = await inboxIds([psid]);
    await inbound.process(first);
    // The contacts' read, replaced by one that reads every contact absent, once.
    await t.db.query(`
      CREATE SEQUENCE known_keys_calls;
      ALTER FUNCTION contacts_known_keys(uuid[], varchar[], varchar[]) RENAME TO contacts_known_keys_real;
      CREATE FUNCTION contacts_known_keys(b uuid[], c varchar[], e varchar[]) RETURNS jsonb
        LANGUAGE plpgsql VOLATILE AS $$ BEGIN
          IF nextval('known_keys_calls') = 1 THEN RETURN '{"known": [], "profiled": []}'; END IF;
          RETURN contacts_known_keys_real(b, c, e);
        END $$;`);
    try {
      await t.deliver(
        delivery(t.pageId, [textMessage({ pageId: t.pageId, psid, text: 'me again' })]),
      );
      const [, second] = await inboxIds([psid]);
      // The insert of a contact that exists fails the batch, and nothing of it stays ...
      await expect(inbound.process(second)).rejects.toMatchObject({
        driverError: { code: '23505' },
      });
      expect(await statuses([psid])).toEqual({ [psid]: 'processed,pending' });
      // ... and its retry (the job's) reads the contact as it is.
      await inbound.process(second);
    } finally {
      await t.db.query(`
        DROP FUNCTION contacts_known_keys(uuid[], varchar[], varchar[]);
        ALTER FUNCTION contacts_known_keys_real(uuid[], varchar[], varchar[]) RENAME TO contacts_known_keys;
        DROP SEQUENCE known_keys_calls;`);
    }
    expect(await statuses([psid])).toEqual({ [psid]: 'processed,processed' });
    expect(
      await t.count(
        `SELECT count(*) AS n FROM contacts c JOIN conversations v ON v.contact_id = c.id
           JOIN messages m ON m.conversation_id = v.id AND m.direction = 'in'
          WHERE c.external_id = $1`,
        [psid],
      ),
    ).toBe(2);
  });
});
