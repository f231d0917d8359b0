import {
  findTemplateProblems,
  type PersonalisationContext,
  renderTemplate,
} from './personalisation';

const ctx: PersonalisationContext = {
  contact: { firstName: 'Ann', lastName: 'Lee' },
  referral: { trackingParam: 'summer-sale' },
};

describe('renderTemplate', () => {
  it('fills every placeholder, with or without spaces in the braces', () => {
    expect(
      renderTemplate(
        'Hi {{contact.firstName}} {{ contact.lastName }}, from {{  referral.trackingParam  }}.',
        ctx,
      ),
    ).toBe('Hi Ann Lee, from summer-sale.');
  });

  it('uses a value over its fallback', () => {
    expect(renderTemplate('Hi {{contact.firstName|there}}!', ctx)).toBe('Hi Ann!');
  });

  it.each<[string, PersonalisationContext]>([
    ['no context', {}],
    ['no contact', { referral: { trackingParam: 'x' } }],
    ['a null name', { contact: { firstName: null } }],
    ['an empty name', { contact: { firstName: '' } }],
    ['a blank name', { contact: { firstName: '  ' } }],
  ])('renders the fallback for %s', (_name, context) => {
    expect(renderTemplate('Hi {{contact.firstName|there}}!', context)).toBe('Hi there!');
    expect(renderTemplate('Hi {{ contact.firstName | my friend }}!', context)).toBe(
      'Hi my friend!',
    );
  });

  it('renders a missing value without a fallback as nothing', () => {
    expect(renderTemplate('Hi {{contact.firstName}}!', {})).toBe('Hi !');
    expect(renderTemplate('[{{referral.trackingParam|}}]', { referral: {} })).toBe('[]');
  });

  it('renders in one pass: values that look like placeholders stay as they are', () => {
    const tricky: PersonalisationContext = {
      contact: { firstName: '{{contact.lastName}}', lastName: '{{referral.trackingParam}}' },
      referral: { trackingParam: 'ref' },
    };
    expect(renderTemplate('{{contact.firstName}} / {{contact.lastName}}', tricky)).toBe(
      '{{contact.lastName}} / {{referral.trackingParam}}',
    );
  });

  it('keeps single braces and leaves invalid placeholders as written', () => {
    expect(renderTemplate('{a} {{contact.email}} }} {{contact.firstName', ctx)).toBe(
      '{a} {{contact.email}} }} {{contact.firstName',
    );
  });
});

describe('findTemplateProblems', () => {
  const use = 'use {{contact.firstName}}, {{contact.lastName}} or {{referral.trackingParam}}';

  it('finds none in valid or placeholder-free text', () => {
    expect(findTemplateProblems('')).toEqual([]);
    expect(findTemplateProblems('Hello {world}')).toEqual([]);
    expect(findTemplateProblems('{{contact.firstName|there}}{{ referral.trackingParam }}')).toEqual(
      [],
    );
  });

  it('names each problem once, in order', () => {
    expect(
      findTemplateProblems(
        '}} {{contact.email}} {{contact.email}} {{contact.firstName|a{b}} {{referral.trackingParam',
      ),
    ).toEqual([
      'stray }} without an opening {{',
      `unknown placeholder {{contact.email}}; ${use}`,
      'the fallback of {{contact.firstName}} must not contain {, } or |',
      'unclosed {{: close each placeholder with }}',
    ]);
  });

  it('allows fallbacks of up to 100 characters', () => {
    expect(findTemplateProblems(`{{contact.lastName|${'é'.repeat(100)}}}`)).toEqual([]);
    expect(findTemplateProblems(`{{contact.lastName|${'é'.repeat(101)}}}`)).toEqual([
      'the fallback of {{contact.lastName}} is longer than 100 characters',
    ]);
  });
});
