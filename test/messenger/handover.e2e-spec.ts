import { createModule, createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef, referral, textMessage } from '../support/messenger-payloads';

describe('Handover and standby', () => {
  let t: MessengerTestApp;

  beforeAll(async () => {
    t = await startMessengerApp();
    const human = await createModule(t.admin, t.botId, {
      name: 'Human',
      type: 'handover',
      config: { content: text('A colleague will take over'), note: 'VIP lead' },
    });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'vip',
      answerType: 'module',
      content: undefined,
      moduleId: human.id,
      segmentName: 'VIP',
    });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'promo',
      content: text('Promo!'),
      segmentName: 'Promo',
    });
    const fallback = await createModule(t.admin, t.botId, {
      name: 'Fallback',
      config: { content: text('Bot here') },
    });
    await t.admin.patch(`/api/v1/bots/${t.botId}`, { fallbackModuleId: fallback.id });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  const entries = (psid: string): Promise<number> =>
    t.count(
      `SELECT count(*) AS n FROM referral_entries WHERE contact_id = (SELECT id FROM contacts WHERE external_id = $1)`,
      [psid],
    );

  it('hands over, then stays silent while still counting entries, until released', async () => {
    await t.deliver(
      delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid: 'vip-user', ref: 'vip' })]),
    );
    const [send] = await t.graph.waitForSends(1);
    expect(send.message).toEqual({ text: 'A colleague will take over' });
    await t.settle();
    const list = await t.admin.get(`/api/v1/bots/${t.botId}/conversations?handedOver=true`);
    expect(list.body.items).toEqual([
      expect.objectContaining({ handedOver: true, handoverNote: 'VIP lead' }),
    ]);
    const conversationId = list.body.items[0].id as string;

    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'vip-user', text: 'hello?' }),
        referral({ pageId: t.pageId, psid: 'vip-user', ref: 'promo', timestamp: Date.now() + 1 }),
      ]),
    );
    await t.quiesce();
    expect(t.graph.sends).toHaveLength(1);
    expect(await entries('vip-user')).toBe(2);
    const promoMember = await t.count(
      `SELECT count(*) AS n FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE s.name = 'Promo'`,
    );
    expect(promoMember).toBe(1);

    const released = await t.admin.post(
      `/api/v1/bots/${t.botId}/conversations/${conversationId}/release`,
    );
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ handedOver: false, handoverNote: null });
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'vip-user', text: 'still there?' }),
      ]),
    );
    const sends = await t.graph.waitForSends(2);
    expect(sends[1].message).toEqual({ text: 'Bot here' });
    await t.settle(); // the send is marked sent just after the Graph API answers

    const log = await t.admin.get(
      `/api/v1/bots/${t.botId}/conversations/${conversationId}/messages?limit=100`,
    );
    expect(
      log.body.items.map((m: { direction: string; text: string; status: string }) => [
        m.direction,
        m.text,
        m.status,
      ]),
    ).toEqual([
      ['out', 'Bot here', 'sent'],
      ['in', 'still there?', 'received'],
      ['out', null, 'sent'], // take_thread_control, on release
      ['in', null, 'received'],
      ['in', 'hello?', 'received'],
      ['out', null, 'sent'], // pass_thread_control, after the module's content
      ['out', 'A colleague will take over', 'sent'],
      ['in', 'Get Started', 'received'],
    ]);
    expect(t.graph.threadControls.map((call) => call.action)).toEqual([
      'pass_thread_control',
      'take_thread_control',
    ]);
  });

  it('records standby items (another app owns the thread) without answering', async () => {
    await t.deliver(
      delivery(
        t.pageId,
        [getStartedWithRef({ pageId: t.pageId, psid: 'standby-user', ref: 'promo' })],
        { standby: true },
      ),
    );
    await t.quiesce();
    expect(t.graph.sends).toHaveLength(0);
    expect(await entries('standby-user')).toBe(1);
    const inbox = await t.db.query(
      `SELECT standby, status FROM messenger_inbox WHERE sender_key = 'psid:standby-user'`,
    );
    expect(inbox.rows).toEqual([{ standby: true, status: 'processed' }]);
  });

  it('answers 404 for the conversations of another bot', async () => {
    const other = (await t.admin.post('/api/v1/bots', { name: 'Other' })).body;
    const key = (await t.admin.post(`/api/v1/bots/${other.id}/api-keys`, { name: 'k' })).body.key;
    const list = await t.admin.get(`/api/v1/bots/${t.botId}/conversations`);
    const id = list.body.items[0].id as string;
    const foreign = await t.http.get(`/api/v1/bots/${other.id}/conversations/${id}`, {
      token: key,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('CONVERSATION_NOT_FOUND');
    expect(
      (
        await t.http.post(`/api/v1/bots/${t.botId}/conversations/${id}/release`, undefined, {
          token: key,
        })
      ).status,
    ).toBe(404);
  });
});
