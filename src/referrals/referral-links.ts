import { type BotLinkTargets } from '../bots';
import { type ReferralLinksDto } from './dto/referral.dto';

/** The links a bot builder copies for one referral. */
export function referralLinks(
  targets: BotLinkTargets,
  trackingParam: string,
  publicBaseUrl: string,
): ReferralLinksDto {
  const ref = encodeURIComponent(trackingParam);
  const page = targets.messenger;
  const links: ReferralLinksDto = {
    messenger: page
      ? `https://m.me/${encodeURIComponent(page.pageUsername ?? page.pageId)}?ref=${ref}`
      : null,
    widget: `${publicBaseUrl}/chat/${encodeURIComponent(targets.widgetKey)}?ref=${ref}`,
    tracked: `${publicBaseUrl}/r/${targets.botId}/${ref}`,
  };
  if (!page) links.messengerUnavailableReason = 'MESSENGER_NOT_CONNECTED';
  return links;
}
