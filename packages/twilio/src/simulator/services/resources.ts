import type { SimIncomingNumber } from '../accounts/numbers.ts';
import { MESSAGING_ORIGIN } from '../core/paging.ts';
import type { SimSender } from '../senders/product.ts';
import type { SimService } from './types.ts';

const iso = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

const subresources: Record<string, string> = {
  phone_numbers: 'PhoneNumbers',
  short_codes: 'ShortCodes',
  alpha_senders: 'AlphaSenders',
  messages: 'Messages',
  us_app_to_person: 'Compliance/Usa2p',
  us_app_to_person_usecases: 'Compliance/Usa2p/Usecases',
  channel_senders: 'ChannelSenders',
  destination_alpha_senders: 'DestinationAlphaSenders',
};

/** A service as Messaging v1's Service operations answer it. */
export function serviceResource(s: SimService) {
  const url = `${MESSAGING_ORIGIN}/v1/Services/${s.sid}`;
  return {
    account_sid: s.accountSid,
    sid: s.sid,
    date_created: iso(s.dateCreated),
    date_updated: iso(s.dateUpdated),
    friendly_name: s.friendlyName,
    inbound_request_url: s.inboundRequestUrl,
    inbound_method: s.inboundMethod,
    fallback_url: s.fallbackUrl,
    fallback_method: s.fallbackMethod,
    status_callback: s.statusCallback,
    sticky_sender: s.stickySender,
    mms_converter: s.mmsConverter,
    smart_encoding: s.smartEncoding,
    scan_message_content: s.scanMessageContent,
    fallback_to_long_code: s.fallbackToLongCode,
    area_code_geomatch: s.areaCodeGeomatch,
    validity_period: s.validityPeriod,
    synchronous_validation: s.synchronousValidation,
    usecase: s.usecase,
    us_app_to_person_registered: false,
    use_inbound_webhook_on_number: s.useInboundWebhookOnNumber,
    links: Object.fromEntries(Object.entries(subresources).map(([key, path]) => [key, `${url}/${path}`])),
    url,
  };
}

/** A WhatsApp sender of a service, as ChannelSenders lists it. */
export function channelSenderResource(service: SimService, sender: SimSender) {
  return {
    account_sid: service.accountSid,
    messaging_service_sid: service.sid,
    sid: sender.sid,
    sender: sender.senderId,
    sender_type: 'WhatsApp',
    country_code: 'US',
    date_created: iso(service.dateCreated),
    date_updated: iso(service.dateUpdated),
    url: `${MESSAGING_ORIGIN}/v1/Services/${service.sid}/ChannelSenders/${sender.sid}`,
  };
}

/** A phone number of a service, as PhoneNumbers lists it. */
export function phoneNumberResource(service: SimService, number: SimIncomingNumber) {
  return {
    sid: number.sid,
    account_sid: service.accountSid,
    service_sid: service.sid,
    date_created: iso(number.dateCreated),
    date_updated: iso(number.dateUpdated),
    phone_number: number.phoneNumber,
    country_code: 'US',
    capabilities: ['SMS', 'MMS'],
    url: `${MESSAGING_ORIGIN}/v1/Services/${service.sid}/PhoneNumbers/${number.sid}`,
  };
}
