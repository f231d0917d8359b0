import { createHmac } from 'node:crypto';

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

/**
 * A signed Get Started delivery with a ref, from `psid`, as Meta posts it (one entry, one
 * messaging item, `X-Hub-Signature-256` over the exact bytes), for the benches and the chaos suite.
 */
export function signedDelivery(
  appSecret: string,
  pageId: string,
  psid: string,
  ref: string,
): SignedDelivery {
  const now = Date.now();
  const body = JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: now,
        messaging: [
          {
            sender: { id: psid },
            recipient: { id: pageId },
            timestamp: now,
            postback: {
              title: 'Get Started',
              payload: 'GET_STARTED',
              mid: `m_${psid}`,
              referral: { ref, source: 'SHORTLINK', type: 'OPEN_THREAD' },
            },
          },
        ],
      },
    ],
  });
  const signature = `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
  return {
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  };
}
