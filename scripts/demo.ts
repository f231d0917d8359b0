/**
 * npm run demo — a referral end to end on this machine: the app (against the local Postgres and
 * Redis, on a throwaway database), a fake Graph API on loopback, and a signed Get Started webhook.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { FakeGraphApi } from '../test/support/fake-graph-api';
import { signedRequest } from '../test/support/messenger-payloads';
import { dropBenchState, startBenchApp } from './bench-support';

const APP_SECRET = randomBytes(16).toString('hex');

function step(text: string): void {
  console.log(`\n▸ ${text}`);
}

async function main(): Promise<void> {
  const graph = new FakeGraphApi();
  const graphUrl = await graph.start();
  step(`Fake Graph API listening on ${graphUrl}`);

  const databaseName = `bp_demo_${process.pid}`;
  const { app, config, baseUrl } = await startBenchApp(databaseName, {
    MESSENGER_GRAPH_API_URL: graphUrl,
    MESSENGER_APP_SECRET: APP_SECRET,
    PUBLIC_BASE_URL: 'https://bots.example.com',
  });
  step(`App running on ${baseUrl} (database ${databaseName}, queues and workers in this process)`);

  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${config.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  try {
    const bot = await api('POST', '/api/v1/bots', { name: 'Demo shoe shop' });
    step(`Created bot "${bot.name}" (${bot.id})`);

    const pageId = '104857600000001';
    await api('PUT', `/api/v1/bots/${bot.id}/channels/messenger`, {
      pageId,
      pageUsername: 'demo.shoes',
      pageAccessToken: `EAAdemo${randomBytes(12).toString('hex')}`,
    });
    step(`Connected Facebook Page ${pageId} (@demo.shoes)`);

    const referral = await api('POST', `/api/v1/bots/${bot.id}/referrals`, {
      trackingParam: 'spring-sale',
      answerType: 'message',
      content: {
        messages: [
          {
            type: 'text',
            text: 'Hi {{contact.firstName|there}}! Spring sale: 20% off all sneakers 👟',
          },
          {
            type: 'buttons',
            text: 'Have a look',
            buttons: [{ type: 'url', title: 'Shop now', url: 'https://shop.example.com/spring' }],
          },
        ],
      },
      segmentName: 'Spring 2026',
    });
    step(`Created referral "${referral.trackingParam}" → segment "${referral.segment.name}"`);
    console.log(`  Messenger link: ${referral.links.messenger}`);
    console.log(`  Widget link:    ${referral.links.widget}`);

    const psid = '2400000000099';
    graph.setProfile(psid, { first_name: 'Dana', last_name: 'Demo' });
    const envelope = {
      object: 'page',
      entry: [
        {
          id: pageId,
          time: Date.now(),
          messaging: [
            {
              sender: { id: psid },
              recipient: { id: pageId },
              timestamp: Date.now(),
              postback: {
                title: 'Get Started',
                payload: 'GET_STARTED',
                mid: `m_${randomBytes(8).toString('hex')}`,
                referral: { ref: 'spring-sale', source: 'SHORTLINK', type: 'OPEN_THREAD' },
              },
            },
          ],
        },
      ],
    };
    const request = signedRequest(envelope, APP_SECRET);
    step(`Meta → POST /webhooks/messenger: Get Started with ref=spring-sale from PSID ${psid}`);
    console.log(`  X-Hub-Signature-256: ${request.headers['x-hub-signature-256'].slice(0, 24)}…`);
    const posted = Date.now();
    const response = await fetch(`${baseUrl}/webhooks/messenger`, {
      method: 'POST',
      headers: request.headers,
      body: request.raw,
    });
    console.log(`  ← ${response.status} ${await response.text()} in ${Date.now() - posted} ms`);

    const sends = await graph.waitForSends(2, 15_000);
    step(
      `The fake Graph API received ${sends.length} Send API calls (${sends[sends.length - 1].at - posted} ms after the webhook):`,
    );
    for (const send of sends) {
      console.log(
        `  POST /${config.messenger.graphApiVersion}/me/messages ${JSON.stringify({ recipient: send.recipient, messaging_type: send.messagingType, message: send.message })}`,
      );
    }

    await new Promise((resolve) => setTimeout(resolve, 300));
    const pool = new Pool({ connectionString: config.databaseUrl });
    const entries = await pool.query(
      'SELECT raw_ref, source, is_new_contact FROM referral_entries WHERE referral_id = $1',
      [referral.id],
    );
    await pool.end();
    const segments = await api('GET', `/api/v1/bots/${bot.id}/segments`);
    step('Recorded:');
    console.log(`  entries: ${JSON.stringify(entries.rows)}`);
    console.log(
      `  segment "${segments.items[0].name}" has ${segments.items[0].memberCount} member(s)`,
    );
  } finally {
    await app.close();
    await graph.stop();
    await dropBenchState(databaseName, config.queuePrefix);
    step('Done; the demo database was dropped.');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
