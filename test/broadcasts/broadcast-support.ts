import { type Pool } from 'pg';
import { createReferral, text } from '../support/fixtures';
import { type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';

export const DAY = 24 * 3600_000;

/** A referral whose entrants join the segment `name`; returns the segment's id once it exists. */
export async function segmentVia(t: MessengerTestApp, name: string): Promise<string> {
  await createReferral(t.admin, t.botId, {
    trackingParam: `ref-${name}`,
    content: text(`Welcome to ${name}`),
    segmentName: name,
  });
  const segments = await t.admin.get(`/api/v1/bots/${t.botId}/segments?limit=100`);
  return segments.body.items.find((s: { name: string }) => s.name === name).id;
}

/** The person taps the segment's link (m.me ?ref=), as Meta delivers it; waits for their answer. */
export async function enter(t: MessengerTestApp, psid: string, segment: string): Promise<void> {
  const before = t.graph.sendsTo(psid).length;
  await t.deliver(
    delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref: `ref-${segment}` })]),
  );
  await waitFor(() => t.graph.sendsTo(psid).length > before, { what: `${psid}'s answer` });
}

/** Moves the contact's last message `ago` ms into the past: its 24-hour window is closed. */
export async function lastWrote(t: MessengerTestApp, psid: string, ago: number): Promise<void> {
  await t.db.query(
    `UPDATE conversations SET last_inbound_at = now() - make_interval(secs => $2)
      WHERE contact_id = (SELECT id FROM contacts WHERE external_id = $1)`,
    [psid, ago / 1000],
  );
}

export async function contactId(t: MessengerTestApp, psid: string): Promise<string> {
  return (await t.db.query(`SELECT id FROM contacts WHERE external_id = $1`, [psid])).rows[0].id;
}

/** Waits for the broadcast to reach `status`; returns it. */
export async function waitForStatus(
  t: MessengerTestApp,
  id: string,
  status: string,
  timeoutMs = 30_000,
): Promise<any> {
  let last: any;
  await waitFor(
    async () => {
      last = (await t.admin.get(`/api/v1/bots/${t.botId}/broadcasts/${id}`)).body;
      return last.status === status;
    },
    { timeoutMs, what: `broadcast ${id} to be ${status}` },
  );
  return last;
}

/** Broadcast sends (not the referral answers) to `psid`. */
export function broadcastSends(t: MessengerTestApp, psid: string, marker: string): any[] {
  return t.graph.sendsTo(psid).filter((s) => String(s.message?.text ?? '').includes(marker));
}

/**
 * People who wrote within the hour, members of `segmentId`, straight in SQL for volume: the rows
 * intake would have stored (contact, open conversation, membership).
 */
export async function seedAudience(
  db: Pool,
  botId: string,
  segmentId: string,
  psids: string[],
): Promise<void> {
  await db.query(
    `WITH c AS (
       INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
       SELECT $1, 'messenger', p, 'psid', now(), now() FROM unnest($3::varchar[]) p RETURNING id
     ), v AS (
       INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at)
       SELECT $1, id, 'messenger', now(), now() FROM c
     )
     INSERT INTO segment_members (segment_id, contact_id, bot_id, joined_at) SELECT $2, id, $1, now() FROM c`,
    [botId, segmentId, psids],
  );
}
