import type { ConnectionHealth, SenderHealth, TwilioReachability } from '@app/contracts';
import {
  countDeliveriesByVerdict,
  lastRefusedRuns,
  lastWebhookDeliveries,
  type RefusedRun,
  withServiceRole,
} from '@app/db';
import { type SenderState, TwilioAdapterError } from '@app/twilio';
import { SUMMARY_WINDOW_MS } from '../connections/delivery-log.ts';
import { ConnectionDisconnectedError, StoredTokenUnreadableError } from '../connections/errors.ts';
import { senderOf } from '../connections/present.ts';
import type { ConnectionRow } from '../connections/store.ts';
import { storedCredentials } from '../connections/twilio-access.ts';
import { asTwilioRefusal } from '../connections/twilio-errors.ts';
import { webhookUrlsFor } from '../connections/webhook-urls.ts';
import type { AppServices } from '../services.ts';
import { webhookDrift } from './drift.ts';
import { summarize } from './summary.ts';

const SANDBOX_NOTE =
  "Twilio's shared sandbox has no sender status, and its webhooks are set in the Twilio Console only (Messaging → Try it out → Send a WhatsApp message → Sandbox settings): check that “When a message comes in” is the inbound URL below and “Status callback URL” the status URL.";
const PHONE_NUMBER_NOTE =
  'This phone number was connected before WhatsApp senders were checked: Twilio gives it no sender status. Register it as a WhatsApp sender in the Twilio Console (Messaging → Senders → WhatsApp senders).';

type TwilioAnswer =
  | { reachability: 'ok'; state: SenderState | null }
  | { reachability: Exclude<TwilioReachability, 'ok'>; message: string | null };

/**
 * Asks Twilio for the sender's state. Never throws for Twilio's sake: an account
 * Twilio cannot be reached for, or that it refuses, is part of the answer.
 */
async function askTwilio(
  services: Pick<AppServices, 'twilio' | 'vault' | 'db'>,
  row: ConnectionRow,
): Promise<TwilioAnswer> {
  if (row.disconnectedAt) return { reachability: 'not_asked', message: null };
  const sender = senderOf(row);
  // The sandbox has no API: nothing to ask, and its credentials are not needed.
  if (sender.kind === 'sandbox') return { reachability: 'ok', state: null };
  try {
    const credentials = await storedCredentials(services, row);
    return { reachability: 'ok', state: await services.twilio.readSenderState(credentials, sender) };
  } catch (error) {
    if (error instanceof StoredTokenUnreadableError || error instanceof ConnectionDisconnectedError)
      return { reachability: 'not_asked', message: error.message };
    if (!(error instanceof TwilioAdapterError)) throw error;
    const refusal = asTwilioRefusal(error, 'sync') as Error;
    const unreachable =
      error.kind === 'unreachable' || error.kind === 'twilio_error' || error.kind === 'rate_limited';
    return { reachability: unreachable ? 'unreachable' : 'refused', message: refusal.message };
  }
}

function senderHealthOf(row: ConnectionRow, state: SenderState | null): SenderHealth {
  const { kind, sid } = senderOf(row);
  return {
    kind,
    sid,
    status: state?.status ?? null,
    offlineReasons: state?.offlineReasons ?? [],
    qualityRating: state?.qualityRating ?? null,
    messagingLimit: state?.messagingLimit ?? null,
    note: kind === 'sandbox' ? SANDBOX_NOTE : kind === 'incoming_number' ? PHONE_NUMBER_NOTE : null,
  };
}

/**
 * A connection's health: the sender as Twilio has it, the webhook URLs against ours,
 * the last deliveries and the counts of the last 24 hours. `row` comes from the
 * caller's RLS read, which proved the connection is theirs; the figures are then read
 * as the service role (members may see them, not the events themselves).
 */
export async function checkConnectionHealth(
  services: Pick<AppServices, 'twilio' | 'vault' | 'db' | 'publicUrl'>,
  row: ConnectionRow,
  reader: { canRepair: boolean },
  now = new Date(),
): Promise<ConnectionHealth> {
  const since = new Date(now.getTime() - SUMMARY_WINDOW_MS);
  const [answer, figures] = await Promise.all([
    askTwilio(services, row),
    // As the service role: the delivery log's tables and the events are for admins
    // under RLS, but these counts and times are for every member of the organization.
    withServiceRole(services.db, async (tx) => ({
      counts: await countDeliveriesByVerdict(tx, row.id, since),
      last: await lastWebhookDeliveries(tx, row.id),
      // Both signature verdicts' last runs, in one statement.
      signatureRuns: await lastRefusedRuns(tx, row.id, ['badSignature', 'missingSignature']),
    })),
  ]);
  const signatureFailingSince = failingSince(Object.values(figures.signatureRuns), since);
  const expected = webhookUrlsFor(services.publicUrl, row.id);
  const state = answer.reachability === 'ok' ? answer.state : null;
  const kind = senderOf(row).kind;
  const drift = state !== null && kind !== 'sandbox' ? webhookDrift(kind, state.webhooks, expected) : [];

  const health: Omit<ConnectionHealth, 'summary'> = {
    connectionId: row.id,
    checkedAt: now.toISOString(),
    twilio: {
      reachability: answer.reachability,
      message: answer.reachability === 'ok' ? null : answer.message,
    },
    sender: senderHealthOf(row, state),
    webhooksChecked: state !== null,
    drift,
    expectedWebhooks: expected,
    lastInboundAt: figures.last.lastInboundAt?.toISOString() ?? null,
    lastStatusCallbackAt: figures.last.lastStatusCallbackAt?.toISOString() ?? null,
    lastDeliveryAt: figures.last.lastDeliveryAt?.toISOString() ?? null,
    deliveriesSince: since.toISOString(),
    deliveries: figures.counts,
    isActive: row.isActive,
    disconnected: row.disconnectedAt !== null,
  };
  return {
    ...health,
    summary: summarize({ ...health, canRepair: reader.canRepair, signatureFailingSince }),
  };
}

/**
 * Since when Twilio's requests fail the signature check: the start of the earliest
 * run (bad or missing signature) that is still going on, with a refusal in the window.
 * A run ended by a good delivery is history, not a present problem.
 */
function failingSince(runs: readonly RefusedRun[], windowStart: Date): Date | null {
  const ongoing = runs.filter((run) => run.ongoing && run.lastAt >= windowStart);
  if (ongoing.length === 0) return null;
  return new Date(Math.min(...ongoing.map((run) => run.firstAt.getTime())));
}
