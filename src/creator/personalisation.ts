import {
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { CONTENT_LIMITS } from './content/content.types';

/** What a placeholder can be filled from; anything missing renders as its fallback. */
export interface PersonalisationContext {
  contact?: { firstName?: string | null; lastName?: string | null };
  referral?: { trackingParam?: string | null };
}

type ValueOf = (ctx: PersonalisationContext) => string | null | undefined;

const PLACEHOLDERS = {
  'contact.firstName': (ctx) => ctx.contact?.firstName,
  'contact.lastName': (ctx) => ctx.contact?.lastName,
  'referral.trackingParam': (ctx) => ctx.referral?.trackingParam,
} satisfies Record<string, ValueOf>;

type PlaceholderName = keyof typeof PLACEHOLDERS;

const USE_INSTEAD = 'use {{contact.firstName}}, {{contact.lastName}} or {{referral.trackingParam}}';

const UNCLOSED = 'unclosed {{: close each placeholder with }}';
const STRAY = 'stray }} without an opening {{';

type Token =
  | { kind: 'text'; text: string }
  | { kind: 'placeholder'; name: PlaceholderName; fallback: string }
  | { kind: 'invalid'; text: string; problem: string };

function isPlaceholderName(name: string): name is PlaceholderName {
  return Object.hasOwn(PLACEHOLDERS, name);
}

/** `raw` is a whole `{{...}}`: a known name, optional spaces, an optional `|fallback`. */
function parsePlaceholder(raw: string): Token {
  const inner = raw.slice(2, -2);
  const bar = inner.indexOf('|');
  const name = (bar === -1 ? inner : inner.slice(0, bar)).trim();
  const fallback = bar === -1 ? '' : inner.slice(bar + 1).trim();
  if (!isPlaceholderName(name)) {
    return {
      kind: 'invalid',
      text: raw,
      problem: `unknown placeholder {{${name}}}; ${USE_INSTEAD}`,
    };
  }
  if (/[{}|]/.test(fallback)) {
    const problem = `the fallback of {{${name}}} must not contain {, } or |`;
    return { kind: 'invalid', text: raw, problem };
  }
  if (Array.from(fallback).length > CONTENT_LIMITS.fallbackMaxLength) {
    const problem = `the fallback of {{${name}}} is longer than ${CONTENT_LIMITS.fallbackMaxLength} characters`;
    return { kind: 'invalid', text: raw, problem };
  }
  return { kind: 'placeholder', name, fallback };
}

/** One left-to-right pass; single braces are plain text. */
function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let textStart = 0;
  const pushText = (end: number): void => {
    if (end > textStart) tokens.push({ kind: 'text', text: template.slice(textStart, end) });
  };
  for (;;) {
    const open = template.indexOf('{{', textStart);
    const close = template.indexOf('}}', textStart);
    if (open === -1 && close === -1) break;
    if (close !== -1 && (open === -1 || close < open)) {
      pushText(close);
      tokens.push({ kind: 'invalid', text: '}}', problem: STRAY });
      textStart = close + 2;
      continue;
    }
    pushText(open);
    const end = template.indexOf('}}', open + 2);
    const nextOpen = template.indexOf('{{', open + 2);
    if (end === -1 || (nextOpen !== -1 && nextOpen < end)) {
      tokens.push({ kind: 'invalid', text: '{{', problem: UNCLOSED });
      textStart = open + 2;
      continue;
    }
    tokens.push(parsePlaceholder(template.slice(open, end + 2)));
    textStart = end + 2;
  }
  pushText(template.length);
  return tokens;
}

/** Every problem of `template`, each once, in order; empty when it is valid. */
export function findTemplateProblems(template: string): string[] {
  const problems = tokenize(template).flatMap((token) =>
    token.kind === 'invalid' ? [token.problem] : [],
  );
  return [...new Set(problems)];
}

/**
 * Fills the placeholders in one pass, so a value that looks like a placeholder stays as it is.
 * Invalid placeholders (rejected at save time anyway) are left as written.
 */
export function renderTemplate(template: string, ctx: PersonalisationContext): string {
  return tokenize(template)
    .map((token) => {
      switch (token.kind) {
        case 'text':
        case 'invalid':
          return token.text;
        case 'placeholder': {
          const value = PLACEHOLDERS[token.name](ctx);
          return value && value.trim() !== '' ? value : token.fallback;
        }
      }
    })
    .join('');
}

/** A string whose placeholders are all valid; non-strings are left to `@IsString()`. */
export function IsPersonalisedText(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPersonalisedText',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown): boolean =>
          typeof value !== 'string' || findTemplateProblems(value).length === 0,
        defaultMessage: (args: ValidationArguments): string =>
          findTemplateProblems(String(args.value)).join('; '),
      },
    });
}

/** For titles and URLs: placeholders would reach the user unrendered there. */
export function HasNoPlaceholders(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'hasNoPlaceholders',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown): boolean => typeof value !== 'string' || !value.includes('{{'),
        defaultMessage: (args: ValidationArguments): string =>
          `${args.property} must not contain {{: placeholders are only allowed in text`,
      },
    });
}
