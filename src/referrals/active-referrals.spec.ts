import { activeReferralsValues } from './referrals.repository';

describe('the active referrals a batch reads with its locks', () => {
  it('sends each lookup key once (the bot, the param in any case), as first spelt', () => {
    expect(
      activeReferralsValues([
        { botId: 'bot-1', trackingParam: 'Spring-Sale' },
        { botId: 'bot-1', trackingParam: 'SPRING-sale' },
        { botId: 'bot-2', trackingParam: 'spring-sale' },
        { botId: 'bot-1', trackingParam: 'other' },
      ]),
    ).toEqual([
      ['bot-1', 'bot-2', 'bot-1'],
      ['Spring-Sale', 'spring-sale', 'other'],
    ]);
  });
});
