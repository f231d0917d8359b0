import { createBot, createModule, createReferral, randomPageId, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import {
  delivery,
  getStartedWithRef,
  passThreadControl,
  referral,
  requestThreadControl,
  takeThreadControl,
  textMessage,
} from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';

const OUR_APP = '1010101010101';
const PAGE_INBOX = '263902037438966';
const AGENT_APP = '5550000000001';

/**
 * Issue 8, case 4: Meta's Handover Protocol both ways. Entering a handover module passes the thread
 * (pass_thread_control), releasing takes it back (take_thread_control); Meta's pass / take items
 * end and start handovers; a request is recorded; failures are retried like sends.
 */
describe('Handover Protocol', () => {
  let t: MessengerTestApp;

  beforeAll(async () => {
    t = await startMessengerApp({ MESSENGER_APP_ID: OUR_APP });
    const inbox = await createModule(t.admin, t.botId, {
      name: 'Inbox',
      type: 'handover',
      config: { content: text('An agent will answer'), note: 'Needs a human' },
    });
    const agent = await createModule(t.admin, t.botId, {
      name: 'Agent app',
      type: 'handover',
      config: { note: 'To the agent app', targetAppId: AGENT_APP },
    });
    for (const [trackingParam, moduleId] of [
      ['human', inbox.id],
      ['agent', agent.id],
    ]) {
      await createReferral(t.admin, t.botId, {
        trackingParam,
        answerType: 'module',
        content: undefined,
        moduleId,
        segmentName: trackingParam,
      });
    }
    await createReferral(t.admin, t.botId, {
      trackingParam: 'promo',
      content: text('Promo!'),
      segmentName: 'Promo',
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  const conversationOf = async (
    psid: string,
  ): Promise<{ id: string; handed_over: boolean; handover_note: string | null }> =>
    (
      await t.db.query(
        `SELECT v.id, v.handed_over, v.handover_note FROM conversations v
           JOIN contacts c ON c.id = v.contact_id WHERE c.external_id = $1`,
        [psid],
      )
    ).rows[0];

  async function handOver(psid: string, ref = 'human'): Promise<void> {
    await t.deliver(delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref })]));
    await t.settle();
  }

  it('passes the thread to the Page Inbox after the module content, and takes it back on release', async () => {
    await handOver('hp-inbox');
    expect(t.graph.sendsTo('hp-inbox').map((send) => send.message)).toEqual([
      { text: 'An agent will answer' },
    ]);
    const [pass] = t.graph.threadControls;
    expect(pass).toMatchObject({
      action: 'pass_thread_control',
      accessToken: t.pageToken,
      body: {
        recipient: { id: 'hp-inbox' },
        target_app_id: PAGE_INBOX,
        metadata: 'Needs a human',
      },
    });
    expect(pass.at).toBeGreaterThanOrEqual(t.graph.sendsTo('hp-inbox')[0].at);
    const conversation = await conversationOf('hp-inbox');
    expect(conversation).toMatchObject({ handed_over: true, handover_note: 'Needs a human' });

    const released = await t.admin.post(
      `/api/v1/bots/${t.botId}/conversations/${conversation.id}/release`,
    );
    expect(released.status).toBe(200);
    expect(released.body.handedOver).toBe(false);
    const calls = await t.graph.waitForThreadControls(2);
    expect(calls[1]).toMatchObject({
      action: 'take_thread_control',
      body: { recipient: { id: 'hp-inbox' }, metadata: 'Released to the bot' },
    });
    expect(calls[1].body.target_app_id).toBeUndefined();
    // Releasing again does nothing: no second take.
    await t.admin.post(`/api/v1/bots/${t.botId}/conversations/${conversation.id}/release`);
    await t.settle();
    expect(t.graph.threadControls).toHaveLength(2);
  });

  it("passes to the module's own targetAppId", async () => {
    await handOver('hp-agent', 'agent');
    expect(t.graph.sends).toHaveLength(0); // the module has no content
    expect(t.graph.threadControls.map((call) => call.body)).toEqual([
      { recipient: { id: 'hp-agent' }, target_app_id: AGENT_APP, metadata: 'To the agent app' },
    ]);
  });

  it("passes to the page's own handoverAppId when the module names none", async () => {
    const PAGE_APP = '7770000000001';
    const bot = await createBot(t.admin, 'Own inbox app');
    const pageId = randomPageId();
    const pageAccessToken = `EAAtest${pageId}own`;
    const refused = await t.admin.put(`/api/v1/bots/${bot.id}/channels/messenger`, {
      pageId,
      pageAccessToken,
      handoverAppId: 'the-inbox',
    });
    expect([refused.status, refused.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const connected = await t.admin.put(`/api/v1/bots/${bot.id}/channels/messenger`, {
      pageId,
      pageAccessToken,
      handoverAppId: PAGE_APP,
    });
    expect(connected.status).toBe(200);
    expect(connected.body.channels.messenger.handoverAppId).toBe(PAGE_APP);
    const module = await createModule(t.admin, bot.id, {
      name: 'Inbox',
      type: 'handover',
      config: { note: 'To the page app' },
    });
    await createReferral(t.admin, bot.id, {
      trackingParam: 'own',
      answerType: 'module',
      content: undefined,
      moduleId: module.id,
    });
    await t.deliver(
      delivery(pageId, [getStartedWithRef({ pageId, psid: 'hp-page-app', ref: 'own' })]),
    );
    await t.settle();
    expect(t.graph.threadControls).toEqual([
      expect.objectContaining({
        action: 'pass_thread_control',
        accessToken: pageAccessToken,
        body: {
          recipient: { id: 'hp-page-app' },
          target_app_id: PAGE_APP,
          metadata: 'To the page app',
        },
      }),
    ]);
  });

  it('ends the handover when Meta passes the thread to our app, and the next referral is answered', async () => {
    await handOver('hp-done');
    const sendsBefore = t.graph.sends.length;
    await t.deliver(
      delivery(t.pageId, [
        passThreadControl({
          pageId: t.pageId,
          psid: 'hp-done',
          newOwnerAppId: OUR_APP,
          previousOwnerAppId: PAGE_INBOX,
          metadata: 'Marked done in the inbox',
        }),
      ]),
    );
    await t.settle();
    expect(await conversationOf('hp-done')).toMatchObject({
      handed_over: false,
      handover_note: null,
    });
    const inbox = await t.db.query(
      `SELECT kind, status FROM messenger_inbox WHERE sender_key = 'psid:hp-done' ORDER BY id`,
    );
    expect(inbox.rows[1]).toEqual({ kind: 'handover', status: 'processed' });

    await t.deliver(
      delivery(t.pageId, [referral({ pageId: t.pageId, psid: 'hp-done', ref: 'promo' })]),
    );
    await t.settle();
    expect(t.graph.sends.slice(sendsBefore).map((send) => send.message)).toEqual([
      { text: 'Promo!' },
    ]);
    // Meta's pass was not answered with a call of our own.
    expect(t.graph.threadControls.map((call) => call.action)).toEqual(['pass_thread_control']);
  });

  it('starts a handover when another app takes the thread: the bot stays silent', async () => {
    await t.deliver(
      delivery(t.pageId, [textMessage({ pageId: t.pageId, psid: 'hp-taken', text: 'hi' })]),
    );
    await t.settle();
    await t.deliver(
      delivery(t.pageId, [
        takeThreadControl({
          pageId: t.pageId,
          psid: 'hp-taken',
          previousOwnerAppId: OUR_APP,
          newOwnerAppId: PAGE_INBOX,
          metadata: 'Agent picked it up',
        }),
      ]),
    );
    await t.settle();
    expect(await conversationOf('hp-taken')).toMatchObject({
      handed_over: true,
      handover_note: 'Agent picked it up',
    });
    await t.deliver(
      delivery(t.pageId, [referral({ pageId: t.pageId, psid: 'hp-taken', ref: 'promo' })]),
    );
    await t.settle();
    expect(t.graph.sendsTo('hp-taken')).toEqual([]);
    // The entry is still counted while an agent has the thread.
    expect(
      await t.count(
        `SELECT count(*) AS n FROM referral_entries e JOIN contacts c ON c.id = e.contact_id WHERE c.external_id = 'hp-taken'`,
      ),
    ).toBe(1);
  });

  it('starts a handover when Meta passes the thread to another app: the bot stays silent', async () => {
    await t.deliver(
      delivery(t.pageId, [
        passThreadControl({
          pageId: t.pageId,
          psid: 'hp-passed-away',
          newOwnerAppId: AGENT_APP,
          previousOwnerAppId: OUR_APP,
          metadata: 'Secondary receiver takes over',
        }),
      ]),
    );
    await t.settle();
    expect(await conversationOf('hp-passed-away')).toMatchObject({
      handed_over: true,
      handover_note: 'Secondary receiver takes over',
    });
    await t.deliver(
      delivery(t.pageId, [referral({ pageId: t.pageId, psid: 'hp-passed-away', ref: 'promo' })]),
    );
    await t.settle();
    expect(t.graph.sendsTo('hp-passed-away')).toEqual([]);
    expect(t.graph.threadControls).toEqual([]);
  });

  it('records request_thread_control without changing the owner', async () => {
    await t.deliver(
      delivery(t.pageId, [
        requestThreadControl({
          pageId: t.pageId,
          psid: 'hp-request',
          requestedOwnerAppId: Number(AGENT_APP),
          metadata: 'May I?',
        }),
      ]),
    );
    await t.settle();
    const conversation = await conversationOf('hp-request');
    expect(conversation.handed_over).toBe(false);
    const log = await t.admin.get(
      `/api/v1/bots/${t.botId}/conversations/${conversation.id}/messages`,
    );
    expect(log.body.items.map((m: { direction: string; kind: string }) => m.kind)).toEqual([
      'threadControl',
    ]);
    expect(t.graph.sends).toHaveLength(0);
    expect(t.graph.threadControls).toHaveLength(0);
  });

  it('retries a transient pass failure and records a permanent one without retrying', async () => {
    t.graph.failNextThreadControl(1, {
      status: 500,
      error: { message: 'An unexpected error has occurred.', code: 2 },
    });
    await handOver('hp-retry');
    await t.graph.waitForThreadControls(1, 20_000);
    expect(t.graph.failedThreadControls).toHaveLength(1);

    t.graph.reset();
    t.graph.failNextThreadControl(1, {
      status: 400,
      error: { message: '(#10) Application does not have permission', code: 10 },
    });
    await handOver('hp-refused');
    const message = await waitFor(
      async () =>
        (
          await t.db.query(
            `SELECT m.status, m.error_code AS "errorCode" FROM messages m
               JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id
              WHERE c.external_id = 'hp-refused' AND m.content_type = 'thread_control' AND m.status <> 'pending'`,
          )
        ).rows[0],
      { timeoutMs: 20_000, what: 'the refused pass to be recorded' },
    );
    expect(message).toEqual({ status: 'failed', errorCode: 10 });
    expect(t.graph.failedThreadControls).toHaveLength(1);
    expect(t.graph.threadControls).toHaveLength(0);
  });
});
