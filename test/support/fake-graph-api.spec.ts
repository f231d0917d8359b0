import { FakeGraphApi } from './fake-graph-api';

describe('FakeGraphApi', () => {
  const graph = new FakeGraphApi();
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await graph.start();
  });

  afterAll(() => graph.stop());

  beforeEach(() => graph.reset());

  function send(body: unknown, token = 'page-token', version = 'v21.0'): Promise<Response> {
    return fetch(`${baseUrl}/${version}/me/messages?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  // Node's fetch types its JSON as unknown; these bodies are checked field by field anyway.
  const json = (response: Response): Promise<any> => response.json();

  const textTo = (psid: string, text = 'hi') => ({
    recipient: { id: psid },
    messaging_type: 'RESPONSE',
    message: { text },
  });

  it('starts on a loopback port', () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('records a successful send with its token and answers like Meta', async () => {
    const before = Date.now();
    const response = await send(textTo('psid-1', 'hello'), 'tok-1', 'v19.0');
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({ recipient_id: 'psid-1', message_id: expect.stringMatching(/^m_\d+$/) });
    expect(graph.sends).toHaveLength(1);
    const [record] = graph.sends;
    expect(record).toEqual({
      at: expect.any(Number),
      accessToken: 'tok-1',
      body: textTo('psid-1', 'hello'),
      recipient: { id: 'psid-1' },
      message: { text: 'hello' },
      senderAction: undefined,
      messagingType: 'RESPONSE',
      messageId: (body as { message_id: string }).message_id,
    });
    expect(record.at).toBeGreaterThanOrEqual(before);
    expect(graph.sendsTo('psid-1')).toHaveLength(1);
    expect(graph.sendsTo('psid-2')).toHaveLength(0);
  });

  it('records sender actions and answers user_ref recipients', async () => {
    await send({ recipient: { id: 'psid-1' }, sender_action: 'typing_on' });
    const response = await send({ recipient: { user_ref: 'ref-1' }, message: { text: 'x' } });
    expect(await response.json()).toMatchObject({ recipient_id: 'ref-1' });
    expect(graph.sends[0].senderAction).toBe('typing_on');
    expect(graph.sends[0].message).toBeUndefined();
    expect(graph.sendsTo('ref-1')).toHaveLength(1);
  });

  it('gives every message a new id', async () => {
    const a = await json(await send(textTo('p')));
    const b = await json(await send(textTo('p')));
    expect(a.message_id).not.toBe(b.message_id);
  });

  it('applies queued failures in order, then succeeds', async () => {
    graph.failNext(1, { status: 500, error: { message: 'Temporary', code: 2 } });
    graph.failNext(2, {
      status: 400,
      error: {
        message: 'Outside window',
        type: 'OAuthException',
        code: 10,
        error_subcode: 2018278,
      },
    });

    const first = await send(textTo('p', 'one'));
    expect(first.status).toBe(500);
    expect(await first.json()).toEqual({
      error: {
        message: 'Temporary',
        type: 'OAuthException',
        code: 2,
        fbtrace_id: expect.any(String),
      },
    });
    for (const text of ['two', 'three']) {
      const response = await send(textTo('p', text));
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({ code: 10, error_subcode: 2018278 });
    }
    expect((await send(textTo('p', 'four'))).status).toBe(200);

    expect(
      graph.failedSends.map((f) => [f.message.text, 'status' in f.failure && f.failure.status]),
    ).toEqual([
      ['one', 500],
      ['two', 400],
      ['three', 400],
    ]);
    expect(graph.sends.map((s) => s.message.text)).toEqual(['four']);
  });

  it('drops the connection on a network error', async () => {
    graph.failNext(1, { networkError: true });
    await expect(send(textTo('p', 'lost'))).rejects.toThrow();
    expect(graph.sends).toHaveLength(0);
    expect(graph.failedSends).toHaveLength(1);
    expect(graph.failedSends[0]).toMatchObject({
      accessToken: 'page-token',
      message: { text: 'lost' },
      failure: { networkError: true },
    });
    expect((await send(textTo('p'))).status).toBe(200);
  });

  it('rejects a send without a recipient, as Meta does', async () => {
    const response = await send({ message: { text: 'x' } });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ code: 100 });
    expect(graph.sends).toHaveLength(0);
    expect(graph.failedSends).toHaveLength(1);
  });

  it('delays answers by the configured latency', async () => {
    graph.setLatency(300);
    const started = Date.now();
    expect((await send(textTo('p'))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);

    graph.reset();
    const again = Date.now();
    await send(textTo('p'));
    expect(Date.now() - again).toBeLessThan(250);
  });

  it('answers profiles it knows, only with the fields asked for', async () => {
    graph.setProfile('psid-1', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      profile_pic: 'https://p',
    });
    const response = await fetch(
      `${baseUrl}/v21.0/psid-1?fields=first_name,last_name&access_token=tok`,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      first_name: 'Ada',
      last_name: 'Lovelace',
      id: 'psid-1',
    });
    expect(graph.profileRequests).toEqual([
      { psid: 'psid-1', fields: 'first_name,last_name', accessToken: 'tok' },
    ]);
  });

  it('answers 400 for an unknown profile', async () => {
    const response = await fetch(`${baseUrl}/v21.0/nobody?fields=first_name&access_token=tok`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: '(#100) No profile available for this user',
        type: 'OAuthException',
        code: 100,
        error_subcode: 2018218,
        fbtrace_id: expect.any(String),
      },
    });
  });

  it('answers 500 to every profile request while profiles fail', async () => {
    graph.setProfile('psid-1', { first_name: 'Ada' });
    graph.failProfiles(true);
    const response = await fetch(`${baseUrl}/v21.0/psid-1?fields=first_name&access_token=tok`);
    expect(response.status).toBe(500);
    expect(graph.profileRequests).toHaveLength(1);
    graph.failProfiles(false);
    expect((await fetch(`${baseUrl}/v21.0/psid-1?access_token=tok`)).status).toBe(200);
  });

  it('answers 404 to anything else', async () => {
    for (const [method, path] of [
      ['GET', '/v21.0/me/messages'],
      ['POST', '/me/messages'],
      ['DELETE', '/v21.0/psid-1'],
      ['POST', '/v21.0/me/other'],
    ]) {
      const response = await fetch(`${baseUrl}${path}`, { method });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { message: 'Unknown path', code: 803 } });
    }
  });

  it('waits for sends and times out with a clear message', async () => {
    const waiting = graph.waitForSends(2, 2000);
    void send(textTo('p', 'a'));
    void send(textTo('p', 'b'));
    const sends = await waiting;
    expect(sends.map((s) => s.message.text).sort()).toEqual(['a', 'b']);
    await expect(graph.waitForSends(3, 100)).rejects.toThrow(
      'FakeGraphApi: expected at least 3 sends within 100 ms, got 2',
    );
  });

  it('records Handover Protocol calls apart from sends, refusing ones Meta would refuse', async () => {
    const control = (action: string, body: unknown): Promise<Response> =>
      fetch(`${baseUrl}/v21.0/me/${action}?access_token=tok`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const pass = { recipient: { id: 'p' }, target_app_id: '263902037438966', metadata: 'note' };
    const passed = await control('pass_thread_control', pass);
    expect(passed.status).toBe(200);
    expect(await passed.json()).toEqual({ success: true });
    expect((await control('take_thread_control', { recipient: { id: 'p' } })).status).toBe(200);
    expect((await control('pass_thread_control', { recipient: { id: 'p' } })).status).toBe(400);
    graph.failNextThreadControl(1, { status: 500, error: { message: 'Oops', code: 2 } });
    expect((await control('take_thread_control', { recipient: { id: 'p' } })).status).toBe(500);
    expect(graph.threadControls).toEqual([
      { at: expect.any(Number), action: 'pass_thread_control', accessToken: 'tok', body: pass },
      {
        at: expect.any(Number),
        action: 'take_thread_control',
        accessToken: 'tok',
        body: { recipient: { id: 'p' } },
      },
    ]);
    expect(graph.failedThreadControls.map((call) => call.failure)).toEqual([
      expect.objectContaining({ status: 400 }),
      expect.objectContaining({ status: 500 }),
    ]);
    expect(graph.sends).toHaveLength(0);
    await expect(graph.waitForThreadControls(3, 100)).rejects.toThrow(
      'expected 3 thread-control calls within 100 ms, got 2',
    );
  });

  it('forgets everything on reset', async () => {
    graph.setProfile('psid-1', { first_name: 'Ada' });
    graph.failNext(1, { networkError: true });
    graph.reset();
    expect((await send(textTo('p'))).status).toBe(200);
    expect((await fetch(`${baseUrl}/v21.0/psid-1`)).status).toBe(400);
    graph.reset();
    expect(graph.sends).toHaveLength(0);
    expect(graph.profileRequests).toHaveLength(0);
    expect(graph.threadControls).toHaveLength(0);
  });

  it("lists the page's recent messages to a person, as the Conversations API does", async () => {
    await send(textTo('psid-9', 'first'));
    await send(textTo('psid-9', 'second'));
    const response = await fetch(
      `${graph.baseUrl}/v21.0/me/conversations?platform=messenger&user_id=psid-9&fields=messages`,
    );
    const body = (await response.json()) as {
      data: { messages: { data: { message: string; created_time: string }[] } }[];
    };
    expect(body.data).toHaveLength(1);
    expect(body.data[0].messages.data.map((m) => m.message)).toEqual(['second', 'first']);
    expect(body.data[0].messages.data[0].created_time).toMatch(/^\d{4}-\d\d-\d\dT[\d:]{8}\+0000$/);
  });

  it('fails sends at random, and always to the recipients chosen, when asked', async () => {
    graph.failRandomly({ transientRate: 0.5, permanentFor: (id) => id === 'gone', seed: 7 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await send(textTo('psid-r', 'x'))).status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(5);
    expect(statuses.filter((status) => status !== 200).length).toBeGreaterThan(5);
    const gone = await send(textTo('gone', 'x'));
    expect(gone.status).toBe(400);
    expect(((await gone.json()) as { error: { code: number } }).error.code).toBe(551);
    graph.failRandomly(undefined);
  });
});
