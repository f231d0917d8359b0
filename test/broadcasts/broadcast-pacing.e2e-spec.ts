import { type MessengerTestApp, startMessengerApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';
import { seedAudience, segmentVia, waitForStatus } from './broadcast-support';

const AUDIENCE = 60;

/**
 * Issue 14: a broadcast paced by the page's send rate (5/s here): pause and resume, and a person
 * who taps a link while it runs is answered first.
 */
describe('Broadcasts at the page send rate', () => {
  let t: MessengerTestApp;
  let segment: string;
  const url = (path = ''): string => `/api/v1/bots/${t.botId}/broadcasts${path}`;
  const psids = Array.from({ length: AUDIENCE }, (_, i) => `paced-${i}`);

  beforeAll(async () => {
    t = await startMessengerApp({ MESSENGER_SEND_RATE_PER_SECOND: '5' });
    segment = await segmentVia(t, 'Paced');
    await seedAudience(t.db, t.botId, segment, psids);
  }, 60_000);
  afterAll(() => t.close());

  const sent = (marker: string) =>
    t.graph.sends.filter((s) => String(s.message?.text ?? '').includes(marker));

  it('pauses within a round and resumes with the pending recipients, each sent once', async () => {
    const created = await t.admin.post(url(), {
      name: 'Paused',
      audience: { include: [segment] },
      content: { messages: [{ type: 'text', text: 'Hi [paused]' }] },
    });
    await waitFor(() => sent('[paused]').length >= 5, { what: 'the first sends' });
    const pause = await t.admin.post(url(`/${created.body.id}/pause`), {});
    expect(pause.status).toBe(200);
    expect(pause.body.status).toBe('paused');
    // Sends in flight when it paused finish; then nothing more goes out.
    let seen = -1;
    await waitFor(
      async () => {
        const now = sent('[paused]').length;
        const stable = now === seen;
        seen = now;
        if (!stable) await new Promise((resolve) => setTimeout(resolve, 600));
        return stable;
      },
      { timeoutMs: 20_000, what: 'sends to stop' },
    );
    const paused = (await t.admin.get(url(`/${created.body.id}`))).body;
    expect(paused.status).toBe('paused');
    expect(paused.counts.pending).toBeGreaterThan(0);
    expect(seen).toBeLessThan(AUDIENCE);

    expect((await t.admin.post(url(`/${created.body.id}/resume`), {})).body.status).toBe('sending');
    const done = await waitForStatus(t, created.body.id, 'completed', 60_000);
    expect(done.counts).toMatchObject({ total: AUDIENCE, sent: AUDIENCE, pending: 0 });
    for (const psid of psids) expect(t.graph.sendsTo(psid)).toHaveLength(1);
  }, 90_000);

  it('answers a person who taps a link during the broadcast ahead of the broadcast', async () => {
    const created = await t.admin.post(url(), {
      name: 'Busy',
      audience: { include: [segment] },
      content: { messages: [{ type: 'text', text: 'Hi [busy]' }] },
    });
    // Its 24 sends in flight are all waiting for slots, 5 a second: the queue the answer meets.
    await waitFor(() => sent('[busy]').length >= 3, { what: 'the broadcast to be sending' });
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'tapper', ref: 'ref-Paced' }),
      ]),
    );
    await waitFor(() => t.graph.sendsTo('tapper').length > 0, { what: 'the answer' });
    const answeredAt = t.graph.sendsTo('tapper')[0].at;
    const [{ storedAt }] = (
      await t.db.query<{ storedAt: Date }>(
        `SELECT r.created_at AS "storedAt" FROM replies r
           JOIN conversations c ON c.id = r.conversation_id
           JOIN contacts k ON k.id = c.contact_id
          WHERE k.external_id = 'tapper' AND k.bot_id = $1`,
        [t.botId],
      )
    ).rows;
    const during = (await t.admin.get(url(`/${created.body.id}`))).body;
    expect(during.counts.pending).toBeGreaterThan(0);
    // Counted from when the answer was stored, so a slow machine's webhook and job latency are
    // not counted. Ahead of the waiting broadcast sends, the answer lets at most the slots bulk
    // sends had booked (60 ms, so one at 5/s) and those paced out while its job was picked up go
    // first. Taking its turn among them (as before reply priority, checked by making bulk sends
    // book as far ahead as replies), the 24 waiting sends went first.
    const overtakenBy = sent('[busy]').filter(
      (s) => s.at > storedAt.getTime() && s.at < answeredAt,
    );
    expect(overtakenBy.length).toBeLessThanOrEqual(8);
    await waitForStatus(t, created.body.id, 'completed', 60_000);
  }, 90_000);
});
