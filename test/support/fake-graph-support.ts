import { type IncomingMessage } from 'node:http';
import { type GraphFailure } from './graph-error';

/** Helpers of the fake Graph API: Meta's error body, request bodies, failures at random. */

/** Failures answered at random, for load with faults (the chaos suite). */
export interface RandomFailures {
  /** Share of send requests (0..1) answered with a transient error: HTTP 500, code 2, code 613. */
  transientRate: number;
  /** Recipients every send to whom fails for good (Meta's 551: the person is not available). */
  permanentFor?: (recipientId: string) => boolean;
  /** Seed of the generator picking which requests fail, so a run can be repeated. */
  seed: number;
}

/** What Meta answers when it cannot take a send right now (see graph-errors.ts). */
export const TRANSIENT_FAILURES: GraphFailure[] = [
  {
    status: 500,
    error: {
      message: 'An unexpected error has occurred. Please retry your request later.',
      code: 2,
    },
  },
  {
    status: 400,
    error: { message: '(#613) Calls to this api have exceeded the rate limit.', code: 613 },
  },
  { status: 500, error: { message: 'An unknown error has occurred.', code: 1 } },
];

export const PERMANENT_FAILURE: GraphFailure = {
  status: 400,
  error: {
    message: "(#551) This person isn't available right now.",
    code: 551,
    error_subcode: 1545041,
  },
};

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
