import { describe, expect, it } from 'vitest';
import { listMessagesInput, sendMessageInput } from '../src/messages.ts';
import { listTemplatesInput } from '../src/templates.ts';
import { issuesFor } from './issues.ts';

const ID = '7d3f6a8e-2b1c-4d5e-9f0a-1b2c3d4e5f60';
const HX = `HX${'a'.repeat(32)}`;

describe('sendMessageInput with a template', () => {
  it('accepts a template with its variables, and keeps no body nor media', () => {
    expect(
      sendMessageInput.parse({
        connectionId: ID,
        to: '+14155238886',
        template: { contentSid: HX, variables: { 1: ' Maria ' } },
      }),
    ).toEqual({
      connectionId: ID,
      to: 'whatsapp:+14155238886',
      template: { contentSid: HX, variables: { 1: 'Maria' } },
    });
  });

  it('reports the template’s own fields, not a vague "invalid input"', () => {
    expect(
      issuesFor(sendMessageInput, { connectionId: ID, to: '+14155238886', template: { contentSid: 'HX1' } }),
    ).toEqual(['template.contentSid: That template id is not valid; choose a template from the list.']);
    expect(
      issuesFor(sendMessageInput, {
        connectionId: ID,
        to: '+14155238886',
        template: { contentSid: HX, variables: { 1: 'two\nlines' } },
      }),
    ).toEqual([
      'template.variables.1: A variable cannot hold a line break, a tab or more than four spaces in a row (WhatsApp refuses them).',
    ]);
    expect(
      issuesFor(sendMessageInput, {
        connectionId: ID,
        to: '+14155238886',
        template: { contentSid: HX, variables: { 1: '  ' } },
      }),
    ).toEqual(['template.variables.1: Fill in every variable of the template.']);
  });

  it('refuses a body or media beside a template', () => {
    expect(
      issuesFor(sendMessageInput, {
        connectionId: ID,
        to: '+14155238886',
        body: 'hi',
        template: { contentSid: HX },
      }),
    ).toEqual(['body: Send either a message or a template, not both.']);
    expect(
      issuesFor(sendMessageInput, {
        connectionId: ID,
        to: '+14155238886',
        mediaUrls: ['https://example.com/a.jpg'],
        template: { contentSid: HX },
      }),
    ).toEqual(['mediaUrls: A template brings its own media; send it without media URLs.']);
  });

  it('still reads a free-text send exactly as before', () => {
    expect(issuesFor(sendMessageInput, { connectionId: ID, to: '12', body: 'hi' })).toEqual([
      'to: Enter the number in international format, with + and the country code, e.g. +14155238886.',
    ]);
  });
});

describe('listing inputs', () => {
  it('normalizes the customer filter to E.164', () => {
    expect(listMessagesInput.parse({ connectionId: ID, customer: 'whatsapp:+1 415 555 0100' }).customer).toBe(
      '+14155550100',
    );
  });

  it('does not refresh the template cache unless asked', () => {
    expect(listTemplatesInput.parse({ connectionId: ID }).refresh).toBe(false);
  });
});
