import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { withTimeout } from '../../common/with-timeout';
import { AppConfig } from '../../config';
import { sendFailure, type SendOutcome } from '../../conversations';
import { type GraphError, isRetryable } from './graph-errors';

/**
 * A send that times out may still have reached Meta, and is sent again: a duplicate. So the wait
 * outlasts the stalls we plan for (the chaos suite stalls the Graph API for 20 s); a send waiting
 * holds one of a worker's outbound slots meanwhile, nothing else.
 */
const SEND_TIMEOUT_MS = 30_000;
const PROFILE_TIMEOUT_MS = 3_000;
/** Sends run concurrently across workers' jobs; this caps the sockets kept open to the Graph API. */
const MAX_CONNECTIONS = 64;

export interface GraphRecipient {
  id?: string;
  user_ref?: string;
  /** A marketing message goes to the person's subscription token instead of their PSID. */
  notification_messages_token?: string;
}

/**
 * Meta's `messaging_type`: RESPONSE answers the person within the window, UPDATE is sent unprompted
 * within it, MESSAGE_TAG outside it with a `tag`. Source: Send API reference, "messaging_type".
 */
export type MessagingType = 'RESPONSE' | 'UPDATE' | 'MESSAGE_TAG';

interface ConversationsAnswer {
  data?: {
    messages?: {
      data?: { id: string; message?: string; created_time?: string; from?: { id?: string } }[];
    };
  }[];
}

export interface GraphProfile {
  firstName: string | null;
  lastName: string | null;
}

/**
 * The Graph API calls Messenger needs: the Send API, thread control and the user profile. Over undici's request
 * API on a keep-alive pool: on the hot path (two calls per new contact) it costs a fraction of
 * what `fetch` does.
 */
@Injectable()
export class GraphApiClient implements OnApplicationShutdown {
  private readonly base: string;
  private readonly agent = new Agent({ connections: MAX_CONNECTIONS, keepAliveTimeout: 30_000 });

  constructor(config: AppConfig) {
    this.base = `${config.messenger.graphApiUrl}/${config.messenger.graphApiVersion}`;
  }

  /** The last hook: workers finish their sends (before-shutdown) first. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Send API: one message to one recipient, answered with Meta's message id. `tag` goes with
   * `MESSAGE_TAG` only; null leaves `messaging_type` out (a marketing message sent to a
   * `notification_messages_token`, as in Meta's Marketing Messages examples).
   */
  async sendMessage(
    accessToken: string,
    recipient: GraphRecipient,
    message: Record<string, unknown>,
    messagingType: MessagingType | null = 'RESPONSE',
    tag?: string,
  ): Promise<SendOutcome> {
    return this.post('me/messages', accessToken, {
      recipient,
      ...(messagingType ? { messaging_type: messagingType } : {}),
      ...(messagingType === 'MESSAGE_TAG' && tag ? { tag } : {}),
      message,
    });
  }

  /**
   * Handover Protocol: `pass_thread_control` gives the thread to `target_app_id` (a human agent's
   * app, such as the Page Inbox), `take_thread_control` takes it back. Failures are classified as
   * the Send API's are (see isRetryable). Source: Meta's Messenger Platform Handover Protocol docs.
   */
  async threadControl(
    accessToken: string,
    action: 'pass_thread_control' | 'take_thread_control',
    body: { recipient: GraphRecipient; target_app_id?: string; metadata?: string },
  ): Promise<SendOutcome> {
    return this.post(`me/${action}`, accessToken, body);
  }

  private async post(
    path: string,
    accessToken: string,
    payload: Record<string, unknown>,
  ): Promise<SendOutcome> {
    const url = `${this.base}/${path}?access_token=${encodeURIComponent(accessToken)}`;
    let status: number;
    let body: { message_id?: string; error?: GraphError };
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        dispatcher: this.agent,
        headersTimeout: SEND_TIMEOUT_MS,
        bodyTimeout: SEND_TIMEOUT_MS,
      });
      status = response.statusCode;
      body = (await response.body.json().catch(() => null)) ?? {};
    } catch (error) {
      return sendFailure(`network error: ${(error as Error).message}`, true);
    }
    const ok = status >= 200 && status < 300;
    if (ok && !body.error) return { ok: true, externalId: body.message_id ?? null };
    return {
      ok: false,
      retryable: isRetryable(status, body.error),
      code: body.error?.code ?? null,
      subcode: body.error?.error_subcode ?? null,
      message: `HTTP ${status}: ${body.error?.message ?? 'no error body'}`,
    };
  }

  /**
   * The id of a text message the page sent to `psid` at or after `since` (epoch ms), read from the
   * Conversations API (`GET /me/conversations?platform=messenger&user_id=...`, the 20 most recent
   * messages; Meta gives `created_time` to the second). Null when there is none; throws when Meta
   * does not answer, so the caller cannot tell.
   * Source: developers.facebook.com/docs/messenger-platform/conversations
   */
  async findSentText(
    accessToken: string,
    psid: string,
    text: string,
    since: number,
  ): Promise<{ messageId: string } | null> {
    const fields = 'messages.limit(20){id,message,created_time,from}';
    const url =
      `${this.base}/me/conversations?platform=messenger&user_id=${encodeURIComponent(psid)}` +
      `&fields=${encodeURIComponent(fields)}&access_token=${encodeURIComponent(accessToken)}`;
    const response = await request(url, {
      dispatcher: this.agent,
      headersTimeout: PROFILE_TIMEOUT_MS,
      bodyTimeout: PROFILE_TIMEOUT_MS,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`the Conversations API answered ${response.statusCode}`);
    }
    const body = (await response.body.json()) as ConversationsAnswer;
    // Whole seconds: a message sent in the claim's second counts.
    const from = Math.floor(since / 1000) * 1000;
    for (const conversation of body.data ?? []) {
      for (const message of conversation.messages?.data ?? []) {
        const sentAt = Date.parse(message.created_time ?? '');
        if (message.from?.id === psid || message.message !== text || !(sentAt >= from)) continue;
        return { messageId: message.id };
      }
    }
    return null;
  }

  /** The contact's names, or null when Meta will not say (privacy settings, errors, timeouts). */
  async getProfile(accessToken: string, psid: string): Promise<GraphProfile | null> {
    const url =
      `${this.base}/${encodeURIComponent(psid)}?fields=first_name,last_name` +
      `&access_token=${encodeURIComponent(accessToken)}`;
    try {
      // The whole look-up ends within PROFILE_TIMEOUT_MS (a batch, and Meta's 200, wait for it).
      // undici honours the signal only once the request has a socket: one still waiting for a
      // socket (the agent's are shared with the sends) or connecting is given up by the race.
      return await withTimeout(
        this.fetchProfile(url, AbortSignal.timeout(PROFILE_TIMEOUT_MS)),
        PROFILE_TIMEOUT_MS,
        'profile look-up timed out',
      );
    } catch {
      return null;
    }
  }

  private async fetchProfile(url: string, signal: AbortSignal): Promise<GraphProfile | null> {
    const response = await request(url, {
      dispatcher: this.agent,
      headersTimeout: PROFILE_TIMEOUT_MS,
      bodyTimeout: PROFILE_TIMEOUT_MS,
      signal,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return null;
    }
    const body = (await response.body.json()) as { first_name?: unknown; last_name?: unknown };
    const name = (value: unknown): string | null =>
      typeof value === 'string' && value ? value.slice(0, 100) : null;
    return { firstName: name(body.first_name), lastName: name(body.last_name) };
  }
}
