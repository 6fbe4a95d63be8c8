import twilio from 'twilio';
import type { MessagingV2ChannelsSenderRequestsUpdate } from 'twilio/lib/rest/messaging/v2/channelsSender.js';
import { BaseUrlRequestClient } from './base-url-request-client.ts';
import { TwilioAdapterError } from './errors.ts';
import type { FailureContext } from './map-twilio-failure.ts';
import { mapTwilioFailure } from './map-twilio-failure.ts';
import type {
  OutboundWhatsappMessage,
  SentMessage,
  TwilioAdapter,
  TwilioAdapterOptions,
  TwilioCredentials,
  VerifiedAccount,
  WebhookSettings,
  WhatsappSender,
} from './types.ts';
import { TWILIO_SANDBOX_NUMBER } from './types.ts';

const accountSidPattern = /^AC[0-9a-fA-F]{32}$/;

/** The Senders API's webhook object on the wire (snake_case, as its OpenAPI description says). */
interface SenderWebhookWire {
  callback_url: string | null;
  callback_method: string | null;
  status_callback_url: string | null;
  status_callback_method: string | null;
}

const senderGone = (sid: string, accountSid: string) =>
  `The WhatsApp sender ${sid} no longer exists in account ${accountSid}. Look the number up again.`;
const numberGone = (sid: string, accountSid: string) =>
  `The phone number ${sid} no longer exists in account ${accountSid}. Look the number up again.`;

export function createTwilioAdapter(options: TwilioAdapterOptions = {}): TwilioAdapter {
  // Every call made inside a person's request must answer (or fail) well before the
  // server's request and socket timeouts, or the browser sees a dropped connection.
  const timeoutMs = options.timeoutMs ?? 10_000;
  const httpClient = new BaseUrlRequestClient({
    timeoutMs,
    ...(options.apiBaseUrl === undefined ? {} : { apiBaseUrl: options.apiBaseUrl }),
    ...(options.onApiCall === undefined ? {} : { onApiCall: options.onApiCall }),
  });

  function clientFor(c: TwilioCredentials): twilio.Twilio {
    if (!accountSidPattern.test(c.accountSid)) {
      throw new TwilioAdapterError(
        'invalid_request',
        'An Account SID is "AC" followed by 32 hexadecimal characters; copy it from the Twilio Console home page.',
        { field: 'accountSid' },
      );
    }
    if (c.authToken.trim() === '') {
      throw new TwilioAdapterError('invalid_request', 'Enter the Auth Token from the Twilio Console.', {
        field: 'authToken',
      });
    }
    // `env: {}` keeps the package from falling back to TWILIO_* variables of this process.
    return twilio(c.accountSid, c.authToken, { httpClient, autoRetry: false, env: {} });
  }

  async function call<T>(context: FailureContext, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapTwilioFailure(error, { ...context, timeoutMs });
    }
  }

  return {
    async verifyCredentials(c): Promise<VerifiedAccount> {
      const client = clientFor(c);
      const account = await call({ accountSid: c.accountSid }, () =>
        client.api.v2010.accounts(c.accountSid).fetch(),
      );
      if (account.status === 'suspended' || account.status === 'closed') {
        throw new TwilioAdapterError(
          'account_inactive',
          `Twilio account ${c.accountSid} is ${account.status}. Reactivate it in the Twilio Console, or connect another account.`,
          { field: 'accountSid' },
        );
      }
      return {
        accountSid: account.sid,
        friendlyName: account.friendlyName,
        status: account.status,
        type: account.type,
      };
    },

    async findWhatsappSender(c, e164): Promise<WhatsappSender> {
      if (e164 === TWILIO_SANDBOX_NUMBER) return { kind: 'sandbox', sid: null };
      const client = clientFor(c);
      const context = { accountSid: c.accountSid };

      const senderId = `whatsapp:${e164}`;
      const senders = await call(context, () =>
        client.messaging.v2.channelsSenders.list({ channel: 'whatsapp', pageSize: 100 }),
      ).catch((error: unknown) => {
        // Accounts without access to the Senders API still send WhatsApp from their numbers.
        if (error instanceof TwilioAdapterError && (error.httpStatus === 403 || error.httpStatus === 404))
          return [];
        throw error;
      });
      const sender = senders.find((s) => s.senderId === senderId);
      if (sender?.sid) return { kind: 'sender', sid: sender.sid };

      const numbers = await call(context, () =>
        client.api.v2010
          .accounts(c.accountSid)
          .incomingPhoneNumbers.list({ phoneNumber: e164, pageSize: 20 }),
      );
      const number = numbers.find((n) => n.phoneNumber === e164);
      if (number) return { kind: 'incoming_number', sid: number.sid };

      throw new TwilioAdapterError(
        'number_not_found',
        `${e164} is not a WhatsApp sender in account ${c.accountSid}. Check the number, or register it as a WhatsApp sender in the Twilio Console.`,
        { field: 'whatsappNumber' },
      );
    },

    async configureWebhooks(c, sender, urls) {
      if (sender.kind === 'sandbox') return { configured: false };
      const client = clientFor(c);
      if (sender.kind === 'sender') {
        // twilio@6.2.0 types this body in camelCase but sends it as given, while the API
        // (and its OpenAPI description) reads snake_case; so we hand it the wire format.
        const body = {
          webhook: {
            callback_url: urls.inboundUrl,
            callback_method: 'POST',
            status_callback_url: urls.statusUrl,
            status_callback_method: 'POST',
          },
        } as unknown as MessagingV2ChannelsSenderRequestsUpdate;
        await call(
          {
            accountSid: c.accountSid,
            notFoundMessage: `The WhatsApp sender ${sender.sid} no longer exists in account ${c.accountSid}. Look the number up again.`,
          },
          () => client.messaging.v2.channelsSenders(sender.sid).update(body),
        );
        return { configured: true };
      }
      await call(
        {
          accountSid: c.accountSid,
          notFoundMessage: `The phone number ${sender.sid} no longer exists in account ${c.accountSid}. Look the number up again.`,
        },
        () =>
          client.api.v2010.accounts(c.accountSid).incomingPhoneNumbers(sender.sid).update({
            smsUrl: urls.inboundUrl,
            smsMethod: 'POST',
            statusCallback: urls.statusUrl,
            statusCallbackMethod: 'POST',
          }),
      );
      return { configured: true };
    },

    async readWebhooks(c, sender): Promise<WebhookSettings | null> {
      if (sender.kind === 'sandbox') return null;
      const client = clientFor(c);
      if (sender.kind === 'sender') {
        // FetchChannelsSender (Messaging v2): its `webhook` object.
        const found = await call(
          { accountSid: c.accountSid, notFoundMessage: senderGone(sender.sid, c.accountSid) },
          () => client.messaging.v2.channelsSenders(sender.sid).fetch(),
        );
        // The package hands the answer's webhook object back in camelCase.
        const webhook = found.webhook;
        return {
          inboundUrl: webhook?.callbackUrl ?? null,
          inboundMethod: webhook?.callbackMethod ?? null,
          statusUrl: webhook?.statusCallbackUrl ?? null,
          statusMethod: webhook?.statusCallbackMethod ?? null,
        };
      }
      // FetchIncomingPhoneNumber (v2010).
      const number = await call(
        { accountSid: c.accountSid, notFoundMessage: numberGone(sender.sid, c.accountSid) },
        () => client.api.v2010.accounts(c.accountSid).incomingPhoneNumbers(sender.sid).fetch(),
      );
      return {
        inboundUrl: number.smsUrl || null,
        inboundMethod: number.smsMethod || null,
        statusUrl: number.statusCallback || null,
        statusMethod: number.statusCallbackMethod || null,
      };
    },

    async restoreWebhooks(c, sender, settings) {
      if (sender.kind === 'sandbox') return { restored: false };
      const client = clientFor(c);
      if (sender.kind === 'sender') {
        // The webhook object's fields are nullable in Twilio's description of
        // UpdateChannelsSender (twilio_messaging_v2.json): null clears one.
        const body = {
          webhook: {
            callback_url: settings.inboundUrl,
            callback_method: settings.inboundMethod,
            status_callback_url: settings.statusUrl,
            status_callback_method: settings.statusMethod,
          } satisfies SenderWebhookWire,
        } as unknown as MessagingV2ChannelsSenderRequestsUpdate;
        await call({ accountSid: c.accountSid, notFoundMessage: senderGone(sender.sid, c.accountSid) }, () =>
          client.messaging.v2.channelsSenders(sender.sid).update(body),
        );
        return { restored: true };
      }
      // UpdateIncomingPhoneNumber: an empty SmsUrl / StatusCallback clears it; the
      // methods only take GET or POST (POST is Twilio's default).
      await call({ accountSid: c.accountSid, notFoundMessage: numberGone(sender.sid, c.accountSid) }, () =>
        client.api.v2010
          .accounts(c.accountSid)
          .incomingPhoneNumbers(sender.sid)
          .update({
            smsUrl: settings.inboundUrl ?? '',
            smsMethod: settings.inboundMethod === 'GET' ? 'GET' : 'POST',
            statusCallback: settings.statusUrl ?? '',
            statusCallbackMethod: settings.statusMethod === 'GET' ? 'GET' : 'POST',
          }),
      );
      return { restored: true };
    },

    async sendMessage(c, m: OutboundWhatsappMessage): Promise<SentMessage> {
      const client = clientFor(c);
      const message = await call({ accountSid: c.accountSid }, () =>
        client.api.v2010.accounts(c.accountSid).messages.create({
          to: m.to,
          from: m.from.startsWith('whatsapp:') ? m.from : `whatsapp:${m.from}`,
          statusCallback: m.statusCallback,
          ...(m.body === undefined ? {} : { body: m.body }),
          ...(m.mediaUrls === undefined || m.mediaUrls.length === 0 ? {} : { mediaUrl: m.mediaUrls }),
        }),
      );
      return {
        sid: message.sid,
        status: message.status,
        errorCode: message.errorCode ?? null,
        errorMessage: message.errorMessage ?? null,
      };
    },
  };
}
