import { activeReferralsValues } from './referrals.repository';

describe('the active referrals a batch reads with its locks', () => {
  it('sends each lookup once, spellings apart (Postgres decides which match one referral)', () => {
    expect(
      activeReferralsValues([
        { botId: 'bot-1', trackingParam: 'Spring-Sale' },
        { botId: 'bot-1', trackingParam: 'SPRING-sale' },
        { botId: 'bot-2', trackingParam: 'Spring-Sale' },
        { botId: 'bot-1', trackingParam: 'Spring-Sale' },
        { botId: 'bot-1', trackingParam: 'İSTANBUL' },
        { botId: 'bot-1', trackingParam: 'i̇stanbul' },
      ]),
    ).toEqual([
      ['bot-1', 'bot-1', 'bot-2', 'bot-1', 'bot-1'],
      ['Spring-Sale', 'SPRING-sale', 'Spring-Sale', 'İSTANBUL', 'i̇stanbul'],
    ]);
  });
});
