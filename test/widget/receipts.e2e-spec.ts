import { createReferral, text } from '../support/fixtures';
import { SseClient } from '../support/sse';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * The widget's delivery and read receipts (watermark style) move the referral funnel on channel
 * widget, as Messenger's watermarks do, each answer counted once.
 */
describe('Widget receipts', () => {
  let t: TestApp;
  let botId: string;
  let widgetKey: string;
  let spring: { id: string };
  let autumn: { id: string };
  const streams: SseClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const bot = await t.admin.post('/api/v1/bots', { name: 'Widget receipts bot' });
    botId = bot.body.id;
    widgetKey = bot.body.channels.widget.widgetKey;
    spring = await createReferral(t.admin, botId, {
      trackingParam: 'spring',
      content: text('Spring answer'),
    });
    autumn = await createReferral(t.admin, botId, {
      trackingParam: 'autumn',
      content: text('Autumn answer'),
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(streams.map((s) => s.close()));
  });

  const api = (path: string): string => `/api/v1/widget/${widgetKey}${path}`;
  const as = (token: string) => ({ headers: { 'x-widget-session': token } });

  async function widgetFunnel(referralId: string): Promise<Record<string, number>> {
    const response = await t.admin.get(
      `/api/v1/bots/${botId}/referrals/${referralId}/stats?interval=day&timeZone=UTC`,
    );
    expect(response.status).toBe(200);
    const widget = response.body.byChannel.find((c: { channel: string }) => c.channel === 'widget');
    return widget ?? {};
  }

  /** Opens a session with `ref` and returns its token and the answer's message id. */
  async function visitWith(ref: string): Promise<{ token: string; sse: SseClient }> {
    const { token } = (await t.http.post(api('/sessions'), { ref })).body;
    const sse = new SseClient();
    streams.push(sse);
    await sse.open(`${t.http.baseUrl}${api('/stream')}`, { 'x-widget-session': token });
    return { token, sse };
  }

  async function answerId(sse: SseClient, count: number): Promise<string> {
    await waitFor(() => sse.messages().length >= count, { what: `${count} messages` });
    return sse.messages()[count - 1].id as string;
  }

  const receipt = (token: string, kind: string, watermark: unknown) =>
    t.http.post(api('/receipts'), { kind, watermark }, as(token));

  it('a delivered then a read receipt count the answer delivered and read on channel widget, once', async () => {
    const { token, sse } = await visitWith('spring');
    const first = await answerId(sse, 1);
    // The answer is counted sent once the outbound worker has recorded the send.
    await waitFor(async () => (await widgetFunnel(spring.id)).answersSent === 1, {
      what: 'the answer counted sent',
    });
    expect(await widgetFunnel(spring.id)).toMatchObject({ answersDelivered: 0, answersRead: 0 });

    const delivered = await receipt(token, 'delivered', first);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toEqual({ accepted: true });
    expect(await widgetFunnel(spring.id)).toMatchObject({ answersDelivered: 1, answersRead: 0 });

    expect((await receipt(token, 'delivered', first)).status).toBe(200);
    expect(await widgetFunnel(spring.id)).toMatchObject({ answersDelivered: 1, answersRead: 0 });

    expect((await receipt(token, 'read', first)).status).toBe(200);
    expect((await receipt(token, 'read', first)).status).toBe(200);
    expect(await widgetFunnel(spring.id)).toMatchObject({ answersDelivered: 1, answersRead: 1 });

    // A second referral's answer: read at once (a read implies delivery); then the older
    // watermarks arrive late and count nothing.
    expect((await t.http.post(api('/referral'), { ref: 'autumn' }, as(token))).status).toBe(202);
    const second = await answerId(sse, 2);
    await waitFor(async () => (await widgetFunnel(autumn.id)).answersSent === 1, {
      what: 'the second answer counted sent',
    });
    expect((await receipt(token, 'read', second)).status).toBe(200);
    expect((await receipt(token, 'delivered', first)).status).toBe(200);
    expect((await receipt(token, 'read', first)).status).toBe(200);
    expect(await widgetFunnel(autumn.id)).toMatchObject({ answersDelivered: 1, answersRead: 1 });
    expect(await widgetFunnel(spring.id)).toMatchObject({ answersDelivered: 1, answersRead: 1 });
  });

  it('an older watermark covers only the answers up to it', async () => {
    const { token, sse } = await visitWith('spring');
    const first = await answerId(sse, 1);
    await waitFor(async () => (await widgetFunnel(spring.id)).answersSent === 2, {
      what: 'the first answer counted sent',
    });
    expect((await t.http.post(api('/referral'), { ref: 'autumn' }, as(token))).status).toBe(202);
    await answerId(sse, 2);
    await waitFor(async () => (await widgetFunnel(autumn.id)).answersSent === 2, {
      what: 'both answers counted sent',
    });
    const before = await widgetFunnel(autumn.id);
    expect((await receipt(token, 'read', first)).status).toBe(200);
    expect(await widgetFunnel(spring.id)).toMatchObject({ answersDelivered: 2, answersRead: 2 });
    expect(await widgetFunnel(autumn.id)).toMatchObject({
      answersDelivered: before.answersDelivered,
      answersRead: before.answersRead,
    });
  });

  it('refuses bad receipts with a 4xx and counts nothing', async () => {
    const { token, sse } = await visitWith('spring');
    const id = await answerId(sse, 1);
    const other = await visitWith('spring');
    const othersId = await answerId(other.sse, 1);
    const cases: [unknown, number, string][] = [
      [{ kind: 'seen', watermark: id }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'read', watermark: 'abc' }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'read', watermark: 42 }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'read', watermark: '1'.repeat(19) }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'read' }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'read', watermark: id, extra: 1 }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'read', watermark: othersId }, 400, 'WIDGET_WATERMARK_UNKNOWN'],
      [{ kind: 'read', watermark: '999999999' }, 400, 'WIDGET_WATERMARK_UNKNOWN'],
    ];
    const before = await widgetFunnel(spring.id);
    for (const [body, status, code] of cases) {
      const response = await t.http.post(api('/receipts'), body, as(token));
      expect({ body, status: response.status, code: response.body.code }).toEqual({
        body,
        status,
        code,
      });
    }
    const anonymous = await t.http.post(api('/receipts'), { kind: 'read', watermark: id });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('WIDGET_SESSION_INVALID');
    const after = await widgetFunnel(spring.id);
    expect(after.answersRead).toBe(before.answersRead);
    expect(after.answersDelivered).toBe(before.answersDelivered);
  });
});
