import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { BotsService } from '../bots';

export interface ConnectedPage {
  pageId: string;
  accessToken: string;
  /** The page's default `target_app_id` for pass_thread_control; null: the server's. */
  handoverAppId: string | null;
}

/**
 * Which bot a page belongs to, and a bot's page token and handover app, cached briefly: the
 * webhook and the sender ask for every item and every message. Only hits are cached, so a page
 * connected a moment ago is seen at once; a disconnect, or a new token or handover app, takes up
 * to a minute to reach every process.
 */
@Injectable()
export class PageDirectory {
  private readonly botByPage = new LRUCache<string, string>({ max: 10_000, ttl: 30_000 });
  private readonly pageByBot = new LRUCache<string, ConnectedPage>({ max: 10_000, ttl: 60_000 });

  constructor(private readonly bots: BotsService) {}

  async botIdFor(pageId: string): Promise<string | null> {
    const cached = this.botByPage.get(pageId);
    if (cached) return cached;
    const page = await this.bots.findMessengerPageByPageId(pageId);
    if (page) this.botByPage.set(pageId, page.botId);
    return page?.botId ?? null;
  }

  async pageOf(botId: string): Promise<ConnectedPage | null> {
    const cached = this.pageByBot.get(botId);
    if (cached) return cached;
    const [page, accessToken] = await Promise.all([
      this.bots.findMessengerPage(botId),
      this.bots.getMessengerAccessToken(botId),
    ]);
    if (!page || !accessToken) return null;
    const connected = {
      pageId: page.pageId,
      accessToken,
      handoverAppId: page.handoverAppId ?? null,
    };
    this.pageByBot.set(botId, connected);
    return connected;
  }
}
