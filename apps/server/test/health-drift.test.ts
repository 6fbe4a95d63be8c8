import { describe, expect, it } from 'vitest';
import { inboundDrifted, shownUrl, webhookDrift } from '../src/health-check/drift.ts';

const ours = { inbound: 'https://us.example/in', status: 'https://us.example/status' };
const settings = (over: Record<string, unknown> = {}) => ({
  inboundUrl: ours.inbound,
  inboundMethod: 'POST',
  statusUrl: ours.status,
  statusMethod: 'POST',
  ...over,
});

describe('webhook drift', () => {
  it('an inbound method changed to GET is inbound drift for every kind (messages no longer reach us as we read them)', () => {
    for (const kind of ['sender', 'incoming_number', 'messaging_service'] as const) {
      const drift = webhookDrift(kind, settings({ inboundMethod: 'GET' }), ours);
      expect(drift).toHaveLength(1);
      expect(inboundDrifted(drift), kind).toBe(true);
    }
  });

  it('only the status callback moved: drift, but not inbound', () => {
    const drift = webhookDrift('sender', settings({ statusUrl: 'https://elsewhere.example' }), ours);
    expect(drift.map((d) => d.field)).toEqual(['webhook.status_callback_url']);
    expect(inboundDrifted(drift)).toBe(false);
  });

  it("a Messaging Service whose senders' own webhooks win is inbound drift", () => {
    const drift = webhookDrift('messaging_service', settings({ useInboundWebhookOnNumber: true }), ours);
    expect(drift).toEqual([{ field: 'UseInboundWebhookOnNumber', expected: 'false', actual: 'true' }]);
    expect(inboundDrifted(drift)).toBe(true);
  });

  it("shows another system's URL without the credentials it may carry (user info, query)", () => {
    const drift = webhookDrift(
      'sender',
      settings({ inboundUrl: 'https://bot:s3cret@crm.example/hooks/in?token=abc123' }),
      ours,
    );
    expect(drift).toEqual([
      { field: 'webhook.callback_url', expected: ours.inbound, actual: 'https://crm.example/hooks/in?…' },
    ]);
    expect(JSON.stringify(drift)).not.toMatch(/s3cret|abc123|bot/);
    expect(shownUrl('https://crm.example:8443/in')).toBe('https://crm.example:8443/in');
    expect(shownUrl(null)).toBeNull();
    expect(shownUrl('not a url')).toBe('(not a valid URL)');
  });
});
