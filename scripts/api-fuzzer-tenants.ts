// The tenants the API fuzzer (scripts/api-fuzzer.ts) runs as: two bots, each with its own key and
// resources, so a key of one answering on the other is caught.

/** A bot tenant of a fuzz run. */
export interface Tenant {
  botId: string;
  key: string;
  /** The token of a widget visitor session of this bot (the `X-Widget-Session` header). */
  widgetSession: string;
  /** Ids of this tenant's resources by path parameter name (`moduleId`, `referralId`, ...). */
  ids: Record<string, string>;
}

/**
 * Two tenants made through the API with the admin token: a bot, a key, a module, a referral, a
 * segment, a widget visitor session (with its contact and conversation) and a scheduled broadcast.
 */
export async function makeTenantsThroughApi(
  baseUrl: string,
  adminToken: string,
): Promise<[Tenant, Tenant]> {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, any>> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, any>;
  };
  const tenant = async (name: string): Promise<Tenant> => {
    const bot = await call('POST', '/api/v1/bots', { name });
    const base = `/api/v1/bots/${bot.id}`;
    const key = await call('POST', `${base}/api-keys`, { name: 'fuzz' });
    const module = await call('POST', `${base}/modules`, {
      name: 'Fuzz module',
      type: 'message',
      config: { content: { messages: [{ type: 'text', text: 'Hi' }] } },
    });
    const referral = await call('POST', `${base}/referrals`, {
      trackingParam: `fuzz-${Math.random().toString(36).slice(2, 10)}`,
      answerType: 'module',
      moduleId: module.id,
      segmentName: 'Fuzzed',
    });
    const segment = await call('POST', `${base}/segments`, { name: `Segment ${name}` });
    const widgetKey = bot.channels.widget.widgetKey as string;
    // A visitor's session, so the session-bound Chat API calls get past their token check.
    const session = await call('POST', `/api/v1/widget/${widgetKey}/sessions`, {});
    // The visitor's conversation and contact, and a broadcast to the (empty) segment, so the
    // routes of one of each get past their lookups too.
    const conversations = await call('GET', `${base}/conversations`);
    const conversation = conversations.items[0] as { id: string; contactId: string } | undefined;
    const broadcast = await call('POST', `${base}/broadcasts`, {
      name: 'Fuzz broadcast',
      audience: { include: [segment.id] },
      content: { messages: [{ type: 'text', text: 'News' }] },
      sendAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    return {
      botId: bot.id,
      key: key.key,
      widgetSession: session.token,
      ids: {
        keyId: key.id,
        moduleId: module.id,
        referralId: referral.id,
        segmentId: segment.id,
        trackingParam: referral.trackingParam,
        widgetKey,
        broadcastId: broadcast.id,
        ...(conversation
          ? { conversationId: conversation.id, contactId: conversation.contactId }
          : {}),
      },
    };
  };
  return [await tenant('Fuzz A'), await tenant('Fuzz B')];
}
