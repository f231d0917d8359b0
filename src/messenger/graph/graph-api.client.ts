import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config';
import { sendFailure, type SendOutcome } from '../../conversations';
import { type GraphError, isRetryable } from './graph-errors';

const SEND_TIMEOUT_MS = 10_000;
const PROFILE_TIMEOUT_MS = 3_000;

export interface GraphRecipient {
  id?: string;
  user_ref?: string;
}

export interface GraphProfile {
  firstName: string | null;
  lastName: string | null;
}

/** The Graph API calls Messenger needs: the Send API and the user profile. */
@Injectable()
export class GraphApiClient {
  private readonly base: string;

  constructor(config: AppConfig) {
    this.base = `${config.messenger.graphApiUrl}/${config.messenger.graphApiVersion}`;
  }

  async sendMessage(
    accessToken: string,
    recipient: GraphRecipient,
    message: Record<string, unknown>,
  ): Promise<SendOutcome> {
    const url = `${this.base}/me/messages?access_token=${encodeURIComponent(accessToken)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ recipient, messaging_type: 'RESPONSE', message }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
    } catch (error) {
      return sendFailure(`network error: ${(error as Error).message}`, true);
    }
    const body = (await response.json().catch(() => ({}))) as {
      message_id?: string;
      error?: GraphError;
    };
    if (response.ok && !body.error) return { ok: true, externalId: body.message_id ?? null };
    return {
      ok: false,
      retryable: isRetryable(response.status, body.error),
      code: body.error?.code ?? null,
      subcode: body.error?.error_subcode ?? null,
      message: `HTTP ${response.status}: ${body.error?.message ?? 'no error body'}`,
    };
  }

  /** The contact's names, or null when Meta will not say (privacy settings, errors, timeouts). */
  async getProfile(accessToken: string, psid: string): Promise<GraphProfile | null> {
    const url =
      `${this.base}/${encodeURIComponent(psid)}?fields=first_name,last_name` +
      `&access_token=${encodeURIComponent(accessToken)}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(PROFILE_TIMEOUT_MS) });
      if (!response.ok) return null;
      const body = (await response.json()) as { first_name?: unknown; last_name?: unknown };
      const name = (value: unknown): string | null =>
        typeof value === 'string' && value ? value.slice(0, 100) : null;
      return { firstName: name(body.first_name), lastName: name(body.last_name) };
    } catch {
      return null;
    }
  }
}
