import { randomInt } from 'node:crypto';

/** The simulator's control API (/_simulator), as a test seeds and drives it. */
export class SimulatorControl {
  constructor(private readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_simulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`simulator ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
  }

  /** A Twilio account with its own SID and Auth Token. */
  seedAccount(): Promise<{ sid: string; authToken: string }> {
    return this.call('POST', '/accounts', {});
  }

  /**
   * The Auth Token the simulated account accepts for API calls and signs webhooks with
   * (re-seeding an existing account changes only its token).
   */
  setAuthToken(accountSid: string, authToken: string): Promise<{ sid: string; authToken: string }> {
    return this.call('POST', '/accounts', { sid: accountSid, authToken });
  }

  /** A WhatsApp sender (Senders API) for `phoneNumber` in the account. */
  addWhatsappSender(accountSid: string, phoneNumber: string): Promise<{ sid: string }> {
    return this.call('POST', `/accounts/${accountSid}/senders`, { phoneNumber });
  }

  /** A Messaging Service (MG…) in the account, with these numbers as its WhatsApp senders. */
  addMessagingService(
    accountSid: string,
    input: { friendlyName?: string; senders?: string[]; inboundRequestUrl?: string; statusCallback?: string },
  ): Promise<{ sid: string }> {
    return this.call('POST', `/accounts/${accountSid}/services`, input);
  }

  /** The account's Messaging Services as Twilio holds them (their webhook settings). */
  async messagingServices(accountSid: string): Promise<
    {
      sid: string;
      inboundRequestUrl: string | null;
      statusCallback: string | null;
      useInboundWebhookOnNumber: boolean;
    }[]
  > {
    return (await this.call<{ services: never[] }>('GET', `/accounts/${accountSid}`)).services;
  }

  /** Suspends (or closes, or reactivates) the account, as Twilio does for billing or abuse. */
  setAccountStatus(accountSid: string, status: 'active' | 'suspended' | 'closed'): Promise<void> {
    return this.call('PATCH', `/accounts/${accountSid}`, { status });
  }

  /**
   * Changes a sender "at Twilio", as its console or Meta would: its status, quality,
   * offline reasons or webhook URLs (only the fields given).
   */
  changeSender(accountSid: string, senderSid: string, change: Record<string, unknown>): Promise<void> {
    return this.call('PATCH', `/accounts/${accountSid}/senders/${senderSid}`, change);
  }

  /** What Twilio holds for the account: its senders and their webhook URLs. */
  account(
    accountSid: string,
  ): Promise<{ senders: { sid: string; senderId: string; webhook: { callback_url: string | null } }[] }> {
    return this.call('GET', `/accounts/${accountSid}`);
  }

  /**
   * Points a sender's incoming-message webhook at `callbackUrl` through Twilio's own
   * REST API (Messaging v2 UpdateChannelsSender), as an edit in the Twilio Console would.
   */
  async setSenderInboundWebhook(
    account: { sid: string; authToken: string },
    senderSid: string,
    callbackUrl: string,
  ): Promise<void> {
    const response = await fetch(`${this.baseUrl}/v2/Channels/Senders/${senderSid}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ webhook: { callback_url: callbackUrl, callback_method: 'POST' } }),
    });
    if (!response.ok) throw new Error(`UpdateChannelsSender: ${response.status} ${await response.text()}`);
  }

  /** Twilio holds its answer to the account's next call of `operationId` this long (a hang). */
  hang(accountSid: string, operationId: string, delayMs: number): Promise<void> {
    return this.call('POST', '/faults', { operationId, accountSid, delayMs });
  }

  /** Every REST call the simulated Twilio has received, oldest first. */
  requests(): Promise<{ method: string; path: string; operationId?: string; status?: number }[]> {
    return this.call('GET', '/requests');
  }

  /** A customer writes to `to`; the simulator posts the signed webhook and answers with what happened. */
  deliverInbound(input: {
    to: string;
    from: string;
    body: string;
    /** The customer's WhatsApp profile name (the simulator has a default). */
    profileName?: string;
    /** A quick-reply answer: the tapped button's id and title (Twilio's ButtonPayload, ButtonText). */
    buttonPayload?: string;
    buttonText?: string;
  }): Promise<{ messageSid: string; deliveries: { outcome: string; attempts: { status?: number }[] }[] }> {
    return this.call('POST', '/inbound', input);
  }

  /** A Content template (HX…) in the account, with its WhatsApp approval (default approved). */
  addTemplate(
    accountSid: string,
    input: {
      friendlyName: string;
      language?: string;
      types: Record<string, Record<string, unknown>>;
      variables?: Record<string, string>;
      approval?: 'approved' | 'pending' | 'rejected' | 'paused' | 'unsubmitted';
      rejectionReason?: string;
    },
  ): Promise<{ sid: string }> {
    return this.call('POST', `/accounts/${accountSid}/templates`, input);
  }

  /** As if `customer` (`whatsapp:+…`) had last written to `sender` (E.164) at `lastInboundAt`. */
  openConversation(
    accountSid: string,
    input: { sender: string; customer: string; lastInboundAt?: string },
  ): Promise<void> {
    return this.call('POST', `/accounts/${accountSid}/conversations`, input);
  }

  /** How the account's recipient (or every recipient, `null`) treats messages: `no_read` stops at delivered. */
  setRecipientBehaviour(
    accountSid: string,
    recipient: string | null,
    behaviour: 'deliver' | 'no_read' | 'fail',
  ): Promise<void> {
    return this.call('PUT', `/accounts/${accountSid}/behaviour`, { recipient, behaviour });
  }

  /** Moves a message on, as Twilio would (posting the signed status callback). */
  advanceStatus(messageSid: string, status: string): Promise<unknown> {
    return this.call('POST', `/messages/${messageSid}/status`, { status });
  }

  /** Every message the simulated Twilio holds for the account, inbound and outbound. */
  messages(accountSid: string): Promise<
    {
      sid: string;
      direction: 'inbound' | 'outbound-api';
      from: string;
      to: string;
      body: string;
      status: string;
      errorCode: number | null;
      contentSid?: string | null;
      contentVariables?: Record<string, string> | null;
    }[]
  > {
    return this.call('GET', `/messages?accountSid=${encodeURIComponent(accountSid)}`);
  }
}

/** A number no other test uses (connections' numbers are unique across organizations). */
export function uniqueWhatsappNumber(): string {
  return `+1555${randomInt(1_000_000, 9_999_999)}`;
}

/** A well-formed Auth Token that is not the account's. */
export function wrongAuthToken(right: string): string {
  const flipped = right[0] === 'a' ? 'b' : 'a';
  return `${flipped}${right.slice(1)}`;
}
