import { graphError } from './graph-error';

export interface ProfileRequest {
  psid: string;
  fields: string | undefined;
  accessToken: string | undefined;
}

export interface Profile {
  first_name?: string;
  last_name?: string;
  profile_pic?: string;
}

/** What the fake Graph API answers a profile request with. */
export interface ProfileAnswer {
  status: number;
  body: unknown;
}

/**
 * The fake Graph API's User Profile API (`GET /<psid>?fields=...`): records requests, answers only
 * the fields asked for plus the id as Meta does, `(#100)` with subcode 2018218 for a person without a
 * profile, and a transient 500 (code 2) while failing on demand.
 */
export class FakeUserProfiles {
  readonly requests: ProfileRequest[] = [];
  /** Latency of profile requests only (on top of the fake's own latency), in ms. */
  latencyMs = 0;
  private readonly profiles = new Map<string, Profile>();
  private failing = false;

  set(psid: string, profile: Profile): void {
    this.profiles.set(psid, profile);
  }

  /** While on, every profile request answers 500 (a transient Graph error). */
  fail(on: boolean): void {
    this.failing = on;
  }

  reset(): void {
    this.requests.length = 0;
    this.profiles.clear();
    this.latencyMs = 0;
    this.failing = false;
  }

  handle(psid: string, url: URL, accessToken: string | undefined): ProfileAnswer {
    const fields = url.searchParams.get('fields') ?? undefined;
    this.requests.push({ psid, fields, accessToken });
    if (this.failing) {
      return {
        status: 500,
        body: graphError({
          message: 'An unexpected error has occurred. Please retry your request later.',
          type: 'OAuthException',
          code: 2,
        }),
      };
    }
    const profile = this.profiles.get(psid);
    if (!profile) {
      return {
        status: 400,
        body: graphError({
          message: '(#100) No profile available for this user',
          type: 'OAuthException',
          code: 100,
          error_subcode: 2018218,
        }),
      };
    }
    // Graph returns only the fields asked for, plus the id.
    const wanted = fields?.split(',').map((f) => f.trim());
    const answer: Record<string, string> = {};
    for (const [key, value] of Object.entries(profile) as [string, string | undefined][]) {
      if (value !== undefined && (!wanted || wanted.includes(key))) answer[key] = value;
    }
    return { status: 200, body: { ...answer, id: psid } };
  }
}
