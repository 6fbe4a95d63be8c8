import type { SimAccount } from '../core/accounts.ts';
import { rfc2822 } from '../core/ids.ts';
import type { SimIncomingNumber } from './numbers.ts';

const subresources: Record<string, string> = {
  incoming_phone_numbers: 'IncomingPhoneNumbers',
  messages: 'Messages',
  calls: 'Calls',
  balance: 'Balance',
};

/** An account as v2010's FetchAccount answers it. */
export function accountResource(account: SimAccount) {
  const base = `/2010-04-01/Accounts/${account.sid}`;
  return {
    auth_token: account.authToken,
    date_created: rfc2822(account.dateCreated),
    date_updated: rfc2822(account.dateUpdated),
    friendly_name: account.friendlyName,
    owner_account_sid: account.sid,
    sid: account.sid,
    status: account.status,
    subresource_uris: Object.fromEntries(
      Object.entries(subresources).map(([key, name]) => [key, `${base}/${name}.json`]),
    ),
    type: account.type,
    uri: `${base}.json`,
  };
}

/** A phone number as v2010's IncomingPhoneNumber operations answer it. */
export function incomingNumberResource(n: SimIncomingNumber) {
  return {
    account_sid: n.accountSid,
    address_sid: null,
    address_requirements: 'none',
    api_version: '2010-04-01',
    beta: false,
    capabilities: { mms: true, sms: true, voice: true, fax: false },
    date_created: rfc2822(n.dateCreated),
    date_updated: rfc2822(n.dateUpdated),
    friendly_name: n.friendlyName,
    identity_sid: null,
    phone_number: n.phoneNumber,
    origin: 'twilio',
    sid: n.sid,
    sms_application_sid: null,
    sms_fallback_method: 'POST',
    sms_fallback_url: null,
    sms_method: n.smsMethod,
    sms_url: n.smsUrl,
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    trunk_sid: null,
    uri: `/2010-04-01/Accounts/${n.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_receive_mode: 'voice',
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: 'POST',
    voice_fallback_url: null,
    voice_method: 'POST',
    voice_url: null,
    emergency_status: 'Inactive',
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    bundle_sid: null,
    status: 'in-use',
    type: 'local',
  };
}
