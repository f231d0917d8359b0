import { type PersonalisationContext, renderTemplate } from '../personalisation';

/**
 * Personalises `template` and cuts it to `maxLength` characters: a long name can push a text
 * that was valid when saved over the channel's limit, and the channel would refuse the message.
 * Characters are code points, as in validation, so an emoji is never split in half.
 */
export function renderText(
  template: string,
  ctx: PersonalisationContext,
  maxLength: number,
): string {
  const text = renderTemplate(template, ctx);
  const characters = Array.from(text);
  return characters.length > maxLength ? characters.slice(0, maxLength).join('') : text;
}
