import type { ContentTemplate } from '@app/twilio';
import { describe, expect, it } from 'vitest';
import { presentTemplate } from '../src/templates/present-template.ts';

const base: ContentTemplate = {
  sid: `HX${'1'.repeat(32)}`,
  friendlyName: 'Invoice',
  language: 'en',
  variables: { '10': 'ten', '2': 'two', '1': 'one' },
  types: { 'twilio/media': { body: '{{1}} {{2}} {{10}}', media: ['https://cdn.example.com/{{1}}.pdf'] } },
  whatsapp: {
    status: 'approved',
    rejectionReason: '',
    category: 'UTILITY',
    name: 'invoice',
    contentType: 'twilio/media',
  },
};

describe('a Content API template as the picker shows it', () => {
  it('orders variables numerically and renders the preview with the samples', () => {
    const shown = presentTemplate(base);
    expect(shown.variables.map((v) => v.key)).toEqual(['1', '2', '10']);
    expect(shown.preview).toBe('one two ten');
    expect(shown.media).toEqual(['https://cdn.example.com/{{1}}.pdf']);
    expect(shown.type).toBe('twilio/media');
  });

  it('received and disabled are not selectable, each with its reason; a status Twilio adds later is treated as pending', () => {
    const withStatus = (status: string) =>
      presentTemplate({ ...base, whatsapp: { ...base.whatsapp!, status } });
    expect(withStatus('received')).toMatchObject({ approval: 'received', selectable: false });
    expect(withStatus('received').unavailableReason).toMatch(/reviewing/);
    expect(withStatus('disabled')).toMatchObject({ approval: 'disabled', selectable: false });
    expect(withStatus('disabled').unavailableReason).toMatch(/disabled/);
    expect(withStatus('in_appeal')).toMatchObject({ approval: 'pending', selectable: false });
  });

  it('a template never submitted has no WhatsApp block: unsubmitted, typed by its richest content', () => {
    const shown = presentTemplate({
      ...base,
      whatsapp: null,
      types: {
        'twilio/text': { body: 'Pick one' },
        'twilio/quick-reply': { body: 'Pick one', actions: [{ title: 'A', id: 'a' }] },
      },
      variables: {},
    });
    expect(shown).toMatchObject({
      approval: 'unsubmitted',
      type: 'twilio/quick-reply',
      buttons: ['A'],
      selectable: false,
      category: null,
    });
  });

  it('a placeholder without a sample is still listed as a variable', () => {
    const shown = presentTemplate({ ...base, variables: { '1': 'one' } });
    expect(shown.variables).toEqual([
      { key: '1', sample: 'one' },
      { key: '2', sample: '' },
      { key: '10', sample: '' },
    ]);
  });
});
