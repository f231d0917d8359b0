import { roundsOf } from './rounds';

const events = (...contacts: string[]): { contactId: string }[] =>
  contacts.map((contactId) => ({ contactId }));

describe('roundsOf', () => {
  it('puts events of distinct contacts in one round', () => {
    expect(roundsOf(events('a', 'b', 'c'))).toEqual([[0, 1, 2]]);
  });

  it("keeps a contact's events in order, one per round", () => {
    expect(roundsOf(events('a', 'b', 'a', 'a', 'c', 'b'))).toEqual([[0, 1, 4], [2, 5], [3]]);
  });

  it('has no rounds without events', () => {
    expect(roundsOf([])).toEqual([]);
  });
});
