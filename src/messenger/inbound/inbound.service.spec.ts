import { type GroupCommit, type LingerTier } from '../../common/group-commit';
import { loadConfig } from '../../config';
import { type SentMarks } from '../../conversations';
import { inboundBatching } from './batching';
import { MessengerInboundService } from './inbound.service';

/** The service's batches' linger tiers, as built from `env`: the constructor uses its config and SentMarks only. */
function tiersFrom(env: Record<string, string>): LingerTier[] {
  const unused = undefined as never;
  const sentMarks = { addCarrier: () => undefined } as unknown as SentMarks;
  const service = new MessengerInboundService(
    unused, // inbox
    unused, // contacts
    unused, // conversations
    unused, // pages
    unused, // profiles
    unused, // intakeRate
    loadConfig(env),
    unused, // merges
    sentMarks,
  );
  const batches = (service as unknown as { batches: GroupCommit<unknown, unknown> }).batches;
  return (batches as unknown as { tiers: LingerTier[] }).tiers;
}

/** The tiers of `inboundBatching(pairing)` in GroupCommit's order (smallest gapMs first). */
const tiersOf = (pairing: boolean): LingerTier[] =>
  [...inboundBatching(pairing).linger!].sort((a, b) => a.gapMs - b.gapMs);

describe('MessengerInboundService batches', () => {
  it('pair moderate traffic only with MESSENGER_INBOUND_PAIRING', () => {
    expect(tiersFrom({})).toEqual(tiersOf(false));
    expect(tiersFrom({ MESSENGER_INBOUND_PAIRING: 'true' })).toEqual(tiersOf(true));
    expect(inboundBatching(true).linger).not.toEqual(inboundBatching(false).linger);
  });
});
