import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BotsService, type WidgetBot } from '../bots';
import { type ContactNames, ContactsService } from '../contacts';
import { ConversationsService, type InboundEvent } from '../conversations';
import {
  type WidgetIdentifyDto,
  type WidgetMessagesDto,
  type WidgetReceiptDto,
  type WidgetReferralDto,
  type WidgetSendMessageDto,
  type WidgetSessionDto,
  type WidgetStartSessionDto,
} from './dto/widget.dto';
import { WidgetErrors } from './widget.errors';
import { type SessionRow, WidgetRepository } from './widget.repository';

/** Referral sources of the widget, as entries record them. */
export const WIDGET_SOURCES = { link: 'WIDGET_LINK', api: 'WIDGET_API' } as const;

const POLL_LIMIT = 100;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

type EventInput = Pick<InboundEvent, 'kind' | 'text' | 'payload' | 'referral' | 'raw'>;

/**
 * The Chat API behind the hosted page and widget.js: visitor sessions by widget key, and the
 * visitor's events handed to the conversations core as channel `widget` events.
 */
@Injectable()
export class WidgetService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bots: BotsService,
    private readonly contacts: ContactsService,
    private readonly conversations: ConversationsService,
    private readonly repository: WidgetRepository,
  ) {}

  /** For CORS: the origins a widget key allows (empty: any), null for an unknown key. */
  async allowedOrigins(widgetKey: string): Promise<string[] | null> {
    return (await this.bots.findByWidgetKey(widgetKey))?.allowedOrigins ?? null;
  }

  /** The bot behind a public widget key; WIDGET_NOT_FOUND for an unknown (or rotated) key. */
  async bot(widgetKey: string): Promise<WidgetBot> {
    const bot = await this.bots.findByWidgetKey(widgetKey);
    if (!bot) throw WidgetErrors.notFound();
    return bot;
  }

  /**
   * Resumes the session of `dto.token` or makes a new visitor (a fresh unguessable token, 32 random
   * bytes, stored as its SHA-256). Then a `ref` is a WIDGET_LINK referral; a new visitor without
   * one gets the welcome, like Get Started on Messenger.
   */
  async start(widgetKey: string, dto: WidgetStartSessionDto): Promise<WidgetSessionDto> {
    const { botId } = await this.bot(widgetKey);
    let token = dto.token;
    let session = token ? await this.repository.touchSession(botId, hashToken(token)) : null;
    const created = session === null;
    if (!session) {
      token = `ws_${randomBytes(32).toString('base64url')}`;
      session = await this.repository.createSession(botId, randomUUID(), hashToken(token));
    }
    const cursor = created ? '0' : await this.repository.lastMessageId(botId, session.visitorId);
    if (dto.ref !== undefined) {
      await this.dispatch(session, this.referralEvent(dto.ref, WIDGET_SOURCES.link, dto.pageUrl));
    } else if (created) {
      await this.dispatch(session, {
        kind: 'postback',
        text: null,
        payload: null,
        referral: null,
        raw: { type: 'start', pageUrl: dto.pageUrl ?? null },
      });
    }
    return { token: token!, created, cursor };
  }

  /** The session a token names for this widget key; WIDGET_SESSION_INVALID otherwise. */
  async session(widgetKey: string, token: string | undefined): Promise<SessionRow> {
    const { botId } = await this.bot(widgetKey);
    const session =
      token && token.length <= 200
        ? await this.repository.touchSession(botId, hashToken(token))
        : null;
    if (!session) throw WidgetErrors.sessionInvalid();
    return session;
  }

  /** `BotWidget.referral(trackingParam)`: a WIDGET_API referral into the open session. */
  async referral(session: SessionRow, dto: WidgetReferralDto): Promise<void> {
    await this.dispatch(session, this.referralEvent(dto.ref, WIDGET_SOURCES.api, dto.pageUrl));
  }

  /** A typed text, a quick-reply chip tap or a button tap (module payloads as on Messenger). */
  async message(session: SessionRow, dto: WidgetSendMessageDto): Promise<void> {
    await this.dispatch(session, {
      kind: dto.type,
      text: dto.text ?? null,
      payload: dto.type === 'text' ? null : (dto.payload ?? null),
      referral: null,
      raw: { ...dto },
    });
  }

  /** Fills the contact's names (personalisation) and keeps the site's id for the visitor. */
  async identify(session: SessionRow, dto: WidgetIdentifyDto): Promise<void> {
    const names: ContactNames = {
      firstName: dto.firstName ?? null,
      lastName: dto.lastName ?? null,
    };
    await this.contacts.recordSeen(this.contactKey(session), new Date(), undefined, { names });
    if (dto.externalId !== undefined)
      await this.repository.setSiteUserId(session.botId, session.id, dto.externalId);
  }

  /**
   * A delivery or read receipt from the chat, watermark style: every message up to `watermark`
   * was shown (delivered) or seen with the chat visible (read). Recorded through the conversations
   * core as Messenger's watermarks are, so the referral funnel counts answersDelivered / Read; an
   * answer already counted is not counted again, so repeated and out-of-order receipts are safe.
   * WIDGET_WATERMARK_UNKNOWN when the id is no message sent to this visitor.
   */
  async receipt(session: SessionRow, dto: WidgetReceiptDto): Promise<void> {
    const at = await this.repository.watermarkTime(session.botId, session.visitorId, dto.watermark);
    if (!at) throw WidgetErrors.watermarkUnknown();
    const [contact] = await this.contacts.findMany([this.contactKey(session)]);
    if (!contact) return;
    await this.dataSource.transaction((tx) =>
      this.conversations.recordReceipts(
        [
          {
            botId: session.botId,
            contactId: contact.id,
            contact: { firstName: null, lastName: null, firstSeenAt: at },
            channel: 'widget',
            occurredAt: new Date(),
            standby: false,
            kind: dto.kind,
            text: null,
            payload: null,
            externalMessageId: null,
            referral: null,
            receipt: { kind: dto.kind, watermark: at },
            raw: { type: 'receipt', ...dto },
          },
        ],
        tx,
      ),
    );
  }

  /** Polling: the visitor's messages after the cursor, at most 100. */
  async messages(session: SessionRow, after: string | undefined): Promise<WidgetMessagesDto> {
    const cursor = after ?? '0';
    const messages = await this.repository.messagesAfter(
      session.botId,
      session.visitorId,
      cursor,
      POLL_LIMIT,
    );
    return { messages, cursor: messages.at(-1)?.id ?? cursor };
  }

  private referralEvent(ref: string, source: string, pageUrl: string | undefined): EventInput {
    return {
      kind: 'referral',
      text: null,
      payload: null,
      referral: { ref, source, adId: null, adsContext: null, refererUri: pageUrl ?? null },
      raw: { type: 'referral', ref, source, pageUrl: pageUrl ?? null },
    };
  }

  private contactKey(session: SessionRow) {
    return {
      botId: session.botId,
      channel: 'widget' as const,
      externalId: session.visitorId,
      externalIdKind: 'visitor' as const,
    };
  }

  /** One event through the conversations core, in one transaction; its reply queued after commit. */
  private async dispatch(session: SessionRow, input: EventInput): Promise<void> {
    const occurredAt = new Date();
    const replyId = await this.dataSource.transaction(async (tx) => {
      const { contact } = await this.contacts.recordSeen(this.contactKey(session), occurredAt, tx);
      const [result] = await this.conversations.handleInboundMany(
        [
          {
            ...input,
            botId: session.botId,
            contactId: contact.id,
            contact: {
              firstName: contact.firstName,
              lastName: contact.lastName,
              firstSeenAt: contact.firstSeenAt,
            },
            channel: 'widget',
            occurredAt,
            standby: false,
            externalMessageId: null,
          },
        ],
        tx,
      );
      return result.replyId;
    });
    if (replyId) await this.conversations.enqueueReplies([replyId]);
  }
}
