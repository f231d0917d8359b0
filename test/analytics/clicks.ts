import { type Pool } from 'pg';
import { type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

export const BROWSER =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

export interface ClickResponse {
  status: number;
  location: string | null;
  headers: Headers;
  body: any;
}

/** Follows a tracked link once, as a browser would, without following the redirect. */
export async function click(
  t: TestApp,
  path: string,
  options: { userAgent?: string | null; headers?: Record<string, string>; method?: string } = {},
): Promise<ClickResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const userAgent = options.userAgent === undefined ? BROWSER : options.userAgent;
  if (userAgent !== null) headers['user-agent'] = userAgent;
  const response = await fetch(`${t.http.baseUrl}${path}`, {
    method: options.method ?? 'GET',
    headers,
    redirect: 'manual',
  });
  const text = await response.text();
  return {
    status: response.status,
    location: response.headers.get('location'),
    headers: response.headers,
    body:
      text && (response.headers.get('content-type') ?? '').includes('json')
        ? JSON.parse(text)
        : text,
  };
}

/** Clicks of the bot written so far. */
export async function clickCount(db: Pool, botId: string): Promise<number> {
  const { rows } = await db.query(`SELECT count(*) AS n FROM referral_clicks WHERE bot_id = $1`, [
    botId,
  ]);
  return Number(rows[0].n);
}

/** Waits until `count` clicks of the bot are written. */
export async function waitForClicks(db: Pool, botId: string, count: number): Promise<void> {
  await waitFor(async () => (await clickCount(db, botId)) >= count, {
    timeoutMs: 20_000,
    what: `${count} clicks written`,
  });
}

/** The rollup totals of one referral, straight from the table. */
export async function rollupTotals(db: Pool, referralId: string): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT coalesce(sum(clicks), 0)::int AS clicks, coalesce(sum(unique_clicks), 0)::int AS "uniqueClicks",
            coalesce(sum(bot_clicks), 0)::int AS "botClicks"
       FROM referral_stats WHERE referral_id = $1 AND channel = '*'`,
    [referralId],
  );
  return rows[0];
}
