import {
  checkboxReply,
  notificationOptin,
  oneTimeNotifOptin,
  optin,
  passThreadControl,
  requestThreadControl,
  takeThreadControl,
  textMessage,
} from '../../../test/support/messenger-payloads';
import { normalise } from './normalise';
import { checkboxUserRefOf, subscriptionOf, threadControlOf } from './platform-events';

const PAGE = '104000000000001';
const PSID = '2400000000000001';
const US = '1010101010101';
const INBOX = '263902037438966';

describe('subscriptionOf', () => {
  it('reads a marketing-message opt-in with every field Meta sends', () => {
    const item = notificationOptin({
      pageId: PAGE,
      psid: PSID,
      token: 'tok',
      topic: 'deals',
      title: 'Deals',
      frequency: 'DAILY',
      timezone: 'Asia/Tokyo',
      expiresAt: 1_800_000_000_000,
      userTokenStatus: 'REFRESHED',
    });
    expect(subscriptionOf(item)).toEqual({
      type: 'notification_messages',
      topic: 'deals',
      title: 'Deals',
      token: 'tok',
      status: 'active',
      frequency: 'DAILY',
      timezone: 'Asia/Tokyo',
      tokenExpiresAt: new Date(1_800_000_000_000),
      userTokenStatus: 'REFRESHED',
    });
  });

  it('reads STOP as stopped and RESUME as active; a STOP may name only the token', () => {
    const stop = notificationOptin({
      pageId: PAGE,
      psid: PSID,
      token: 'tok',
      status: 'STOP_NOTIFICATIONS',
    });
    expect(subscriptionOf(stop)).toMatchObject({ status: 'stopped', topic: null, token: 'tok' });
    const resume = notificationOptin({
      pageId: PAGE,
      psid: PSID,
      token: 'tok',
      status: 'RESUME_NOTIFICATIONS',
    });
    expect(subscriptionOf(resume)?.status).toBe('active');
  });

  it('reads a one-time notification request', () => {
    const item = oneTimeNotifOptin({ pageId: PAGE, psid: PSID, token: 'otn', topic: 'restock' });
    expect(subscriptionOf(item)).toMatchObject({
      type: 'one_time_notif_req',
      topic: 'restock',
      token: 'otn',
      status: 'active',
    });
  });

  it('is null for plugin opt-ins with a ref, other items and odd types', () => {
    expect(subscriptionOf(optin({ pageId: PAGE, psid: PSID, ref: 'r' }))).toBeNull();
    expect(subscriptionOf(textMessage({ pageId: PAGE, psid: PSID, text: 'hi' }))).toBeNull();
    expect(subscriptionOf({ optin: { type: 'toString' } })).toBeNull();
  });

  it('keeps normalise from turning them into OPTIN referrals', () => {
    const item = notificationOptin({ pageId: PAGE, psid: PSID, token: 'tok', topic: 'deals' });
    expect(normalise(item)).toMatchObject({ kind: 'other', referral: null });
    expect(normalise(optin({ pageId: PAGE, psid: PSID, ref: 'r' }))?.kind).toBe('referral');
  });
});

describe('checkboxUserRefOf', () => {
  it('reads prior_message of a checkbox plugin reply, at item level or in message', () => {
    const item = checkboxReply({ pageId: PAGE, psid: PSID, userRef: 'ur-1', text: 'hi' });
    expect(checkboxUserRefOf(item)).toBe('ur-1');
    expect(
      checkboxUserRefOf({
        message: { prior_message: { source: 'checkbox_plugin', identifier: 'ur-2' } },
      }),
    ).toBe('ur-2');
  });

  it('ignores other sources and items without one', () => {
    expect(
      checkboxUserRefOf({ prior_message: { source: 'customer_chat_plugin', identifier: 'x' } }),
    ).toBeNull();
    expect(checkboxUserRefOf(textMessage({ pageId: PAGE, psid: PSID, text: 'hi' }))).toBeNull();
  });
});

describe('threadControlOf', () => {
  const pass = (newOwnerAppId: string): Record<string, unknown> =>
    passThreadControl({ pageId: PAGE, psid: PSID, newOwnerAppId, metadata: 'done' });

  it('ends a handover when the thread is passed to us, starts one when passed elsewhere', () => {
    expect(threadControlOf(pass(US), US)).toEqual({
      change: 'ended',
      appId: US,
      metadata: 'done',
    });
    expect(threadControlOf(pass(INBOX), US)?.change).toBe('started');
    // Meta delivers pass_thread_control to the new owner: without our id, that is us.
    expect(threadControlOf(pass(INBOX), undefined)?.change).toBe('ended');
  });

  it('starts a handover when another app takes the thread', () => {
    const take = takeThreadControl({
      pageId: PAGE,
      psid: PSID,
      previousOwnerAppId: US,
      newOwnerAppId: INBOX,
      metadata: 'mine now',
    });
    expect(threadControlOf(take, US)).toEqual({
      change: 'started',
      appId: INBOX,
      metadata: 'mine now',
    });
    const ours = takeThreadControl({
      pageId: PAGE,
      psid: PSID,
      previousOwnerAppId: INBOX,
      newOwnerAppId: US,
    });
    expect(threadControlOf(ours, US)?.change).toBe('ended');
  });

  it('records a request with the numeric app id Meta sends', () => {
    const request = requestThreadControl({
      pageId: PAGE,
      psid: PSID,
      requestedOwnerAppId: 123456789,
    });
    expect(threadControlOf(request, US)).toEqual({
      change: 'requested',
      appId: '123456789',
      metadata: null,
    });
    expect(normalise(request, US)).toMatchObject({ kind: 'threadControl' });
  });

  it('is null for anything else', () => {
    expect(threadControlOf(textMessage({ pageId: PAGE, psid: PSID, text: 'x' }), US)).toBeNull();
    expect(threadControlOf({ app_roles: { [US]: ['primary_receiver'] } }, US)).toBeNull();
  });
});
