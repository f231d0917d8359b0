import { type EntityManager } from 'typeorm';
import { BotsModule, BotsService } from '../../src/bots';
import { insertMembers } from '../../src/segments/segments.repository';
import { plansOf } from './support/plans';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * The memberships a batch's referral entries bring (`insertMembers`, lent to the entries
 * statement as `insertMembersCte`) check that the segment and the contact are the bot's by their
 * primary keys, under the batch's planner settings (generic plans, no sequential scan), even in a
 * plan made while the contacts table was young: a plan that found the contact among all of its
 * bot's contacts would scan more of them in every batch as the bot grows.
 */
describe('Segment memberships of a batch (integration)', () => {
  let s: ServiceContext;

  beforeAll(async () => {
    s = await startServices([BotsModule]);
  });
  afterAll(() => s.close());

  it('finds the segment and the contact by primary key, in a plan made while the table was young', async () => {
    const { id: botId } = await s.get(BotsService).create({ name: 'Growing bot' });
    const [segment] = await s.dataSource.query<{ id: string }[]>(
      `INSERT INTO segments (bot_id, name) VALUES ($1, 'Entrants') RETURNING id`,
      [botId],
    );
    const contact = (externalId: string) =>
      s.dataSource.query<{ id: string }[]>(
        `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
         VALUES ($1, 'messenger', $2, 'psid', now(), now()) RETURNING id`,
        [botId, externalId],
      );
    await contact('first');
    // The bot grows; the table was never analyzed yet, as in a new deployment's first minutes.
    await s.dataSource.query(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
       SELECT $1, 'messenger', 'grown-' || g, 'psid', now(), now() FROM generate_series(1, 300) g`,
      [botId],
    );
    const [joining] = await contact('joining');
    const { result, plans } = await plansOf(s.dataSource, async (tx: EntityManager) => {
      // The batch's settings (InboxRepository.lockPendingUpTo).
      await tx.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      await tx.query(`SET LOCAL enable_seqscan = off`);
      return insertMembers(tx, [
        { segmentId: segment.id, contactId: joining.id, botId, joinedAt: new Date() },
      ]);
    });
    expect([...result]).toEqual([`${joining.id}|${segment.id}`]);
    const plan = plans.find((text) => text.includes('INSERT INTO segment_members'));
    expect(plan).toMatch(/Index Cond: \(id = m\.contact_id\)/);
    expect(plan).toMatch(/Index Cond: \(id = m\.segment_id\)/);

    expect(plan).not.toMatch(/Rows Removed by (Join )?Filter/);
  });
});
