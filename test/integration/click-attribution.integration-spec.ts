import { BotsModule, BotsService } from '../../src/bots';
import { ContactsModule } from '../../src/contacts';
import { type CreateReferralDto } from '../../src/referrals/dto/create-referral.dto';
import { ReferralsModule, ReferralsService } from '../../src/referrals';
import { type Click, ClickRecorder } from '../../src/referrals/tracked-links/click-recorder';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * A redirect answers from its cache and never waits long on Postgres: a param it could not look
 * up in time is marked `unresolved`, and the batch writer resolves it, so the click still counts
 * for its referral (a busy machine once left such a click unattributed, with rollups of 0).
 */
describe('ClickRecorder: clicks the redirect could not resolve (integration)', () => {
  let s: ServiceContext;
  let botId: string;
  let referralId: string;

  beforeAll(async () => {
    s = await startServices([BotsModule, ContactsModule, ReferralsModule]);
    botId = (await s.get(BotsService).create({ name: 'Click attribution bot' })).id;
    const dto = {
      trackingParam: 'Spring-Sale',
      answerType: 'message',
      content: { messages: [{ type: 'text' as const, text: 'Spring is here' }] },
      segmentName: 'Spring clickers',
    } as CreateReferralDto;
    referralId = (await s.get(ReferralsService).create(botId, dto)).id;
  });
  afterAll(() => s.close());

  const click = (trackingParam: string, clicker: number): Click => ({
    botId,
    referralId: null,
    unresolved: true,
    trackingParam,
    clickedAt: new Date(),
    clicker: Buffer.alloc(32, clicker),
    isBot: false,
    target: 'messenger',
  });

  it('counts an unresolved click for the referral its param names when the batch is written', async () => {
    const recorder = s.get(ClickRecorder);
    recorder.record(click('spring-sale', 1));
    recorder.record(click('SPRING-SALE', 2));
    recorder.record(click('no-such-param', 3));
    await recorder.flush();
    const clicks = await s.dataSource.query(
      `SELECT tracking_param AS param, referral_id AS "referralId" FROM referral_clicks
        WHERE bot_id = $1 ORDER BY tracking_param COLLATE "C"`,
      [botId],
    );
    expect(clicks).toEqual([
      { param: 'SPRING-SALE', referralId },
      { param: 'no-such-param', referralId: null },
      { param: 'spring-sale', referralId },
    ]);
    const [totals] = await s.dataSource.query(
      `SELECT sum(clicks)::int AS clicks, sum(unique_clicks)::int AS "uniqueClicks"
         FROM referral_stats WHERE referral_id = $1 AND channel = '*'`,
      [referralId],
    );
    expect(totals).toEqual({ clicks: 2, uniqueClicks: 2 });
  });
});
