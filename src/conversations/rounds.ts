/**
 * Splits events into rounds holding at most one event per contact, keeping each contact's order:
 * a round is handled set-based, and a contact's later event sees what its earlier one changed.
 * Returns the events' indexes, round by round.
 */
export function roundsOf(events: { contactId: string }[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  events.forEach((event, index) => {
    const round = seen.get(event.contactId) ?? 0;
    seen.set(event.contactId, round + 1);
    (rounds[round] ??= []).push(index);
  });
  return rounds;
}
