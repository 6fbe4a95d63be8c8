import { rfc2822 } from '../core/ids.ts';
import type { SimMessage } from './types.ts';

/** A message as v2010's Message operations answer it. */
export function messageResource(m: SimMessage) {
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    body: m.body,
    num_segments: '1',
    direction: m.direction,
    from: m.from,
    to: m.to,
    date_updated: rfc2822(m.dateUpdated),
    price: null,
    error_message: m.errorMessage,
    uri,
    account_sid: m.accountSid,
    num_media: String(m.mediaUrls.length),
    status: m.status,
    messaging_service_sid: m.messagingServiceSid,
    sid: m.sid,
    date_sent: m.dateSent === null ? null : rfc2822(m.dateSent),
    date_created: rfc2822(m.dateCreated),
    error_code: m.errorCode,
    price_unit: 'USD',
    api_version: '2010-04-01',
    subresource_uris: {
      media: uri.replace('.json', '/Media.json'),
      feedback: uri.replace('.json', '/Feedback.json'),
    },
  };
}
