import { PERMANENT_FAILURE, TRANSIENT_FAILURES } from '../support/fake-graph-support';
import { type MessengerTestApp, startMessengerApp } from '../support/messenger-harness';
import { delivery, notificationOptin } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';
import {
  broadcastSends,
  contactId,
  DAY,
  enter,
  lastWrote,
  segmentVia,
  waitForStatus,
} from './broadcast-support';

const TOKEN = 'nmt_broadcast_token_0001';

/**
 * Issue 14: broadcasts to segments, through the real app, Postgres, Redis and a fake Graph API:
 * audiences, Meta's window / tag / notification-token rules, skips with reasons, scheduling,
 * pause and resume, permanent errors.
 */
describe('Broadcasts', () => {
  let t: MessengerTestApp;
  let a: string;
  let b: string;
  let n: string;
  const url = (path = ''): string => `/api/v1/bots/${t.botId}/broadcasts${path}`;
  const create = (body: Record<string, unknown>) =>
    t.admin.post(url(), {
      name: 'Spring sale',
      content: { messages: [{ type: 'text', text: 'x' }] },
      ...body,
    });

  beforeAll(async () => {
    t = await startMessengerApp();
    a = await segmentVia(t, 'A');
    b = await segmentVia(t, 'B');
    n = await segmentVia(t, 'N');
    t.graph.setProfile('only-a', { first_name: 'Ada' });
    await enter(t, 'only-a', 'A');
    await enter(t, 'a-and-b', 'A');
    await enter(t, 'a-and-b', 'B');
    await enter(t, 'only-b', 'B');
  }, 60_000);
  afterAll(() => t.close());

  it('previews include, intersect and exclude audiences without sending', async () => {
    const sendsBefore = t.graph.sends.length;
    const preview = async (audience: unknown) =>
      (await t.admin.post(url('/preview'), { audience })).body;
    expect(await preview({ include: [a] })).toEqual({ total: 2, reachable: 2, skipped: {} });
    expect(await preview({ include: [a, b] })).toMatchObject({ total: 3 });
    expect(await preview({ include: [a], intersect: [b] })).toMatchObject({ total: 1 });
    expect(await preview({ include: [a, b], exclude: [b] })).toMatchObject({ total: 1 });
    expect(t.graph.sends.length).toBe(sendsBefore);
  });

  it('refuses unknown segments and HUMAN_AGENT with 400 in the one error body', async () => {
    const unknown = await create({
      audience: { include: ['9b2f7c1e-4d7a-4a8e-9c3b-1f2e3d4c5b6a'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ statusCode: 400, code: 'BROADCAST_UNKNOWN_SEGMENTS' });
    const agent = await create({ audience: { include: [a] }, messageTag: 'HUMAN_AGENT' });
    expect(agent.status).toBe(400);
    expect(agent.body.code).toBe('VALIDATION_FAILED');
    const empty = await t.admin.post(url('/preview'), { audience: { include: [] } });
    expect(empty.status).toBe(400);
  });

  it('sends inside the window as UPDATE, personalised, once per person of the audience', async () => {
    const response = await create({
      audience: { include: [a, b], exclude: [b] },
      content: { messages: [{ type: 'text', text: 'Hello {{contact.firstName|you}} [inside]' }] },
    });
    expect(response.status).toBe(201);
    expect(response.body.status).toBe('sending');
    const done = await waitForStatus(t, response.body.id, 'completed');
    expect(done.counts).toMatchObject({ total: 1, sent: 1, pending: 0, failed: 0, skipped: 0 });
    const sends = broadcastSends(t, 'only-a', '[inside]');
    expect(sends.map((s) => [s.message.text, s.messagingType])).toEqual([
      ['Hello Ada [inside]', 'UPDATE'],
    ]);
    expect(broadcastSends(t, 'a-and-b', '[inside]')).toHaveLength(0);
  });

  it('outside the window sends only with a tag, as MESSAGE_TAG', async () => {
    await lastWrote(t, 'only-b', 2 * DAY);
    const untagged = await create({
      audience: { include: [b] },
      content: { messages: [{ type: 'text', text: 'Hi {{contact.firstName|you}} [untagged]' }] },
    });
    const done = await waitForStatus(t, untagged.body.id, 'completed');
    expect(done.counts).toMatchObject({ sent: 1, skipped: 1 });
    const skipped = await t.admin.get(url(`/${untagged.body.id}/recipients?status=skipped`));
    expect(skipped.body.items).toEqual([
      expect.objectContaining({
        contactId: await contactId(t, 'only-b'),
        reason: 'OUTSIDE_WINDOW',
      }),
    ]);

    const tagged = await create({
      audience: { include: [b] },
      messageTag: 'ACCOUNT_UPDATE',
      content: { messages: [{ type: 'text', text: 'Hi {{contact.firstName|you}} [tagged]' }] },
    });
    await waitForStatus(t, tagged.body.id, 'completed');
    const [send] = broadcastSends(t, 'only-b', '[tagged]');
    expect(send.body).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'ACCOUNT_UPDATE' });
    expect(send.message.text).toBe('Hi you [tagged]');
    expect(broadcastSends(t, 'a-and-b', '[tagged]')[0].messagingType).toBe('UPDATE');
  });

  it('sends with the notification token outside the window, and skips with reasons', async () => {
    const people = ['n-active', 'n-stopped', 'n-expired', 'n-none', 'n-handed'];
    for (const psid of people) await enter(t, psid, 'N');
    const optin = (psid: string, extra: Record<string, unknown> = {}) =>
      t.deliver(
        delivery(t.pageId, [
          notificationOptin({
            pageId: t.pageId,
            psid,
            token: `${TOKEN}-${psid}`,
            topic: 'deals',
            ...extra,
          }),
        ]),
      );
    await optin('n-active', { expiresAt: Date.now() + 30 * DAY });
    await optin('n-stopped');
    await optin('n-expired', { expiresAt: Date.now() - DAY });
    await waitFor(
      async () => (await t.count(`SELECT count(*) AS n FROM contact_subscriptions`)) >= 3,
      {
        what: 'subscriptions stored',
      },
    );
    await optin('n-stopped', { status: 'STOP_NOTIFICATIONS' });
    await waitFor(
      async () =>
        (await t.count(
          `SELECT count(*) AS n FROM contact_subscriptions WHERE status = 'stopped'`,
        )) === 1,
      { what: 'the STOP stored' },
    );
    for (const psid of people) await lastWrote(t, psid, 3 * DAY);
    await t.db.query(
      `UPDATE conversations SET handed_over = true
        WHERE contact_id = (SELECT id FROM contacts WHERE external_id = 'n-handed')`,
    );
    const expectedSkips = { OPTED_OUT: 1, TOKEN_EXPIRED: 1, OUTSIDE_WINDOW: 1, HANDED_OVER: 1 };

    const preview = await t.admin.post(url('/preview'), {
      audience: { include: [n] },
      notificationTopic: 'deals',
    });
    expect(preview.body).toEqual({ total: 5, reachable: 1, skipped: expectedSkips });

    const response = await create({
      audience: { include: [n] },
      notificationTopic: 'deals',
      content: { messages: [{ type: 'text', text: 'Deals [notified]' }] },
    });
    const done = await waitForStatus(t, response.body.id, 'completed');
    expect(done.counts).toMatchObject({ total: 5, sent: 1, skipped: 4 });
    const notified = t.graph.sends.filter((s) => s.message?.text === 'Deals [notified]');
    expect(notified.map((s) => s.recipient)).toEqual([
      { notification_messages_token: `${TOKEN}-n-active` },
    ]);
    const recipients = (await t.admin.get(url(`/${response.body.id}/recipients?limit=10`))).body
      .items;
    const reasons: Record<string, number> = {};
    for (const r of recipients) if (r.reason) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
    expect(reasons).toEqual(expectedSkips);
    expect(recipients.find((r: any) => r.status === 'sent').sentAs).toBe('NOTIFICATION');
  });

  it('a scheduled broadcast cancelled before its time sends nothing', async () => {
    const sendAt = new Date(Date.now() + 2000).toISOString();
    const cancelled = await create({
      audience: { include: [a] },
      sendAt,
      content: { messages: [{ type: 'text', text: 'Never [cancelled]' }] },
    });
    expect(cancelled.body.status).toBe('scheduled');
    const cancel = await t.admin.post(url(`/${cancelled.body.id}/cancel`), {});
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    // A twin scheduled for the same time shows the driver went past it.
    const twin = await create({
      audience: { include: [a] },
      sendAt,
      content: { messages: [{ type: 'text', text: 'Sent [twin]' }] },
    });
    await waitForStatus(t, twin.body.id, 'completed');
    expect(t.graph.sends.filter((s) => String(s.message?.text).includes('[cancelled]'))).toEqual(
      [],
    );
    expect((await t.admin.get(url(`/${cancelled.body.id}`))).body).toMatchObject({
      status: 'cancelled',
      counts: { total: 0, sent: 0 },
    });
    expect((await t.admin.post(url(`/${cancelled.body.id}/resume`), {})).status).toBe(409);
  });

  it('a permanent error fails the recipient with Meta code; 551 makes later broadcasts skip them', async () => {
    t.graph.failNext(1, PERMANENT_FAILURE);
    const first = await create({
      audience: { include: [a], exclude: [b] },
      content: { messages: [{ type: 'text', text: 'One [permanent]' }] },
    });
    const done = await waitForStatus(t, first.body.id, 'completed');
    expect(done.counts).toMatchObject({ failed: 1, sent: 0 });
    const [failed] = (await t.admin.get(url(`/${first.body.id}/recipients?status=failed`))).body
      .items;
    expect(failed).toMatchObject({ reason: 'SEND_FAILED', errorCode: 551, errorSubcode: 1545041 });

    const second = await create({
      audience: { include: [a], exclude: [b] },
      content: { messages: [{ type: 'text', text: 'Two [permanent]' }] },
    });
    await waitForStatus(t, second.body.id, 'completed');
    const [skipped] = (await t.admin.get(url(`/${second.body.id}/recipients`))).body.items;
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'PERSON_UNAVAILABLE' });
    expect(
      t.graph.sends.filter((s) => String(s.message?.text).includes('Two [permanent]')),
    ).toEqual([]);
  });

  it('retries a transient error as replies are, and sends once', async () => {
    t.graph.failNext(2, TRANSIENT_FAILURES[0]);
    const response = await create({
      audience: { include: [b], intersect: [a] },
      content: { messages: [{ type: 'text', text: 'Again [transient]' }] },
    });
    const done = await waitForStatus(t, response.body.id, 'completed');
    expect(done.counts).toMatchObject({ sent: 1, failed: 0 });
    const [recipient] = (await t.admin.get(url(`/${response.body.id}/recipients`))).body.items;
    expect(recipient).toMatchObject({ status: 'sent', attempts: 3 });
    expect(broadcastSends(t, 'a-and-b', '[transient]')).toHaveLength(1);
  });

  it('is tenant-safe: another bot neither sees nor reaches the broadcast', async () => {
    const list = await t.admin.get(url());
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    const other = await t.admin.post('/api/v1/bots', { name: 'Other bot' });
    const id = list.body.items[0].id;
    const foreign = await t.admin.get(`/api/v1/bots/${other.body.id}/broadcasts/${id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('BROADCAST_NOT_FOUND');
    const foreignSegment = await t.admin.post(`/api/v1/bots/${other.body.id}/broadcasts/preview`, {
      audience: { include: [a] },
    });
    expect(foreignSegment.status).toBe(400);
  });
});
