import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';

/** The welcome of the bot in the referral-places and referral-answers suites. */
export const WELCOME = 'Welcome to the shop, {{contact.firstName|friend}}!';

/** The app and the referral the referral-places and referral-answers suites start from. */
export interface ReferralPlacesBot {
  t: MessengerTestApp;
  spring: { id: string; segment: { id: string } };
}

/**
 * Starts the app with a connected page whose bot welcomes with {@link WELCOME} and has the referral
 * `Spring-Sale` (personalised content, segment "Spring buyers").
 */
export async function startReferralPlacesApp(): Promise<ReferralPlacesBot> {
  const t = await startMessengerApp();
  await t.admin.patch(`/api/v1/bots/${t.botId}`, { welcome: text(WELCOME) });
  const spring = await createReferral(t.admin, t.botId, {
    trackingParam: 'Spring-Sale',
    content: text('Hi {{contact.firstName|there}}, you came via {{referral.trackingParam}}'),
    segmentName: 'Spring buyers',
  });
  return { t, spring };
}

/** A row of `referral_entries`, as the suites read it. */
export interface EntryRow {
  referral_id: string | null;
  raw_ref: string | null;
  source: string | null;
  is_new_contact: boolean;
  ad_id: string | null;
  ads_context: unknown;
  referer_uri: string | null;
  occurred_at: Date;
}

/** The entries of the contact with this PSID, oldest first. */
export async function entryRowsOf(t: MessengerTestApp, externalId: string): Promise<EntryRow[]> {
  const rows = await t.db.query(
    `SELECT e.* FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
      WHERE c.external_id = $1 ORDER BY e.id`,
    [externalId],
  );
  return rows.rows;
}
