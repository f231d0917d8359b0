import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, type MessagingItem, newMid } from '../support/messenger-payloads';

/**
 * The rows of docs/MESSENGER-WEBHOOK.md that no other suite covers: page webhook fields the bot does
 * not answer (recorded as ignored, nothing sent), deliveries for other objects (issue 8, case 2),
 * and entries holding only `changes`. Payloads follow Meta's webhook reference.
 */
describe('Webhook fields the bot does not answer', () => {
  let t: MessengerTestApp;

  beforeAll(async () => {
    t = await startMessengerApp();
    await t.admin.patch(`/api/v1/bots/${t.botId}`, { welcome: text('Welcome!') });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'fields',
      content: text('Fields!'),
      segmentName: 'Fields',
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  const from = (psid: string): MessagingItem => ({
    sender: { id: psid },
    recipient: { id: t.pageId },
    timestamp: Date.now(),
  });

  it.each<[string, (psid: string) => MessagingItem, string]>([
    [
      'message_deliveries',
      (psid) => ({ ...from(psid), delivery: { mids: [newMid()], watermark: Date.now() } }),
      'delivery',
    ],
    ['message_reads', (psid) => ({ ...from(psid), read: { watermark: Date.now() } }), 'read'],
  ])(
    'handles %s as a receipt for the referral funnel and sends nothing',
    async (_field, make, kind) => {
      const psid = `receipt-${Math.random().toString(36).slice(2)}`;
      const response = await t.deliver(delivery(t.pageId, [make(psid)]));
      expect(response.status).toBe(200);
      await t.settle();
      const inbox = await t.db.query(
        `SELECT kind, status, note FROM messenger_inbox WHERE sender_key = $1`,
        [`psid:${psid}`],
      );
      // Processed (test/analytics/funnel.e2e-spec.ts counts what it moves), not ignored.
      expect(inbox.rows).toEqual([{ kind, status: 'processed', note: null }]);
      expect(t.graph.sends).toEqual([]);
      expect(await t.count(`SELECT count(*) AS n FROM referral_entries`)).toBe(0);
      expect(
        await t.count(
          `SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id
             JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = $1`,
          [psid],
        ),
      ).toBe(0);
    },
  );

  it.each<[string, (psid: string) => MessagingItem, string, string]>([
    [
      'message_echoes',
      (psid) => ({
        ...from(psid),
        message: { is_echo: true, app_id: 1517776481860111, mid: newMid(), text: 'hi' },
      }),
      'echo',
      'NOT_ANSWERED: echo',
    ],
    [
      'message_reactions',
      (psid) => ({
        ...from(psid),
        reaction: { mid: newMid(), action: 'react', reaction: 'love', emoji: '\u2764' },
      }),
      'reaction',
      'NOT_ANSWERED: reaction',
    ],
    [
      'message_edits',
      (psid) => ({ ...from(psid), message_edit: { mid: newMid(), text: 'edited', num_edit: 1 } }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'messaging_handovers (app_roles)',
      (psid) => ({ ...from(psid), app_roles: { '123456789': ['primary_receiver'] } }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'messaging_policy_enforcement',
      (psid) => ({
        ...from(psid),
        policy_enforcement: { action: 'block', reason: 'The bot violated our Platform Policies' },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'messaging_account_linking',
      (psid) => ({
        ...from(psid),
        account_linking: { status: 'linked', authorization_code: 'PASS_THROUGH_CODE' },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'messaging_feedback',
      (psid) => ({
        ...from(psid),
        messaging_feedback: {
          feedback_screens: [
            { screen_id: 0, questions: { q1: { type: 'csat', payload: '4', follow_up: null } } },
          ],
        },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'messaging_game_plays',
      (psid) => ({
        ...from(psid),
        game_play: { game_id: '1', player_id: '2', context_type: 'SOLO', score: 9, payload: '' },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'response_feedback',
      (psid) => ({
        ...from(psid),
        response_feedback: { mid: newMid(), feedback: 'Good response' },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'messaging_customer_information',
      (psid) => ({
        ...from(psid),
        customer_information: { screens: [{ screen_id: 'main', responses: [] }] },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'messaging_in_thread_lead_form_submit',
      (psid) => ({
        ...from(psid),
        messaging_in_thread_lead_form_submit: { form_id: '1', lead_id: '2', responses: {} },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'send_cart',
      (psid) => ({
        ...from(psid),
        send_cart: { products: [{ id: '1', quantity: 2 }] },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
    [
      'any field added later',
      (psid) => ({
        ...from(psid),
        field_meta_adds_later: { anything: [1, { at: 'all' }] },
      }),
      'other',
      'NOT_ANSWERED: other',
    ],
  ])('records %s as ignored and sends nothing', async (_field, make, kind, note) => {
    const psid = `field-${Math.random().toString(36).slice(2)}`;
    const response = await t.deliver(delivery(t.pageId, [make(psid)]));
    expect(response.status).toBe(200);
    const inbox = await t.db.query(
      `SELECT kind, status, note FROM messenger_inbox WHERE sender_key = $1`,
      [`psid:${psid}`],
    );
    expect(inbox.rows).toEqual([{ kind, status: 'ignored', note }]);
    await t.settle();
    expect(t.graph.sends).toEqual([]);
    expect(await t.count(`SELECT count(*) AS n FROM referral_entries`)).toBe(0);
  });

  it.each(['instagram', 'user', 'permissions', 'whatsapp_business_account'])(
    'acknowledges a delivery for object %s, records it as ignored and sends nothing',
    async (object) => {
      const body = {
        object,
        entry: [
          {
            id: '17841400000000001',
            time: Date.now(),
            messaging: [
              {
                sender: { id: '9000000000077' },
                recipient: { id: '17841400000000001' },
                timestamp: Date.now(),
                message: { mid: newMid(), text: `hello from ${object}` },
              },
            ],
          },
        ],
      };
      const response = await t.deliver(body);
      expect(response.status).toBe(200);
      expect(response.text).toBe('EVENT_RECEIVED');
      const rows = await t.db.query(
        `SELECT page_id AS "pageId", kind, status, note FROM messenger_inbox WHERE note LIKE 'OBJECT_NOT_HANDLED%' AND payload->>'object' = $1`,
        [object],
      );
      expect(rows.rows).toEqual([
        {
          pageId: '17841400000000001',
          kind: 'other',
          status: 'ignored',
          note: `OBJECT_NOT_HANDLED: ${object}`,
        },
      ]);
      // A redelivery is a duplicate, not a second row.
      expect((await t.deliver(body)).status).toBe(200);
      expect(
        await t.count(`SELECT count(*) AS n FROM messenger_inbox WHERE payload->>'object' = $1`, [
          object,
        ]),
      ).toBe(1);
      await t.settle();
      expect(t.graph.sends).toEqual([]);
    },
  );

  it.each<[string, { field: string; value: unknown }[]]>([
    ['feed', [{ field: 'feed', value: { item: 'comment', verb: 'add', message: 'Nice' } }]],
    [
      'inbox_labels, messaging_integrity, business_integrity, call_permission_reply',
      [
        {
          field: 'inbox_labels',
          value: { action: 'add', label: { id: '1', page_label_name: 'VIP' } },
        },
        { field: 'messaging_integrity', value: { status: 'restricted' } },
        { field: 'business_integrity', value: { status: 'ok', violations: [] } },
        { field: 'call_permission_reply', value: { response: 'approve' } },
      ],
    ],
  ])(
    'acknowledges an entry that holds only changes (%s), storing nothing',
    async (_fields, changes) => {
      const before = await t.count(`SELECT count(*) AS n FROM messenger_inbox`);
      const response = await t.deliver({
        object: 'page',
        entry: [{ id: t.pageId, time: Date.now(), changes }],
      });
      expect([response.status, response.text]).toEqual([200, 'EVENT_RECEIVED']);
      expect(await t.count(`SELECT count(*) AS n FROM messenger_inbox`)).toBe(before);
      await t.settle();
      expect(t.graph.sends).toEqual([]);
    },
  );
});
