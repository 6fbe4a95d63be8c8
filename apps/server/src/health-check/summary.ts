import type { ConnectionHealth, HealthLevel } from '@app/contracts';
import { inboundDrifted } from './drift.ts';

/** Statuses in which a sender sends and receives (ONLINE:UPDATING: a profile change is under way). */
const WORKING_STATUSES = new Set(['ONLINE', 'ONLINE:UPDATING']);

const SENDERS_IN_CONSOLE = 'the Twilio Console under Messaging → Senders → WhatsApp senders';

/** hh:mm in UTC, with its zone said, for "since 10:42 UTC". */
function clockTime(at: Date): string {
  return `${at.toISOString().slice(11, 16)} UTC`;
}

export type SummaryInput = Omit<ConnectionHealth, 'summary'> & {
  /** Whether the reader may Repair (owner or admin): the sentence says who can act. */
  canRepair: boolean;
  /** The first refused delivery with a bad or missing signature in the window, once counted. */
  signatureFailingSince: Date | null;
};

/**
 * The one sentence at the top of the health panel: what is wrong and what to do.
 * The first match wins: the sender offline, drift, signature failures, processing
 * failures, Twilio unreachable, paused; otherwise healthy.
 */
export function summarize(h: SummaryInput): ConnectionHealth['summary'] {
  const say = (level: HealthLevel, sentence: string, since: Date | null = null) => ({
    level,
    sentence,
    since: since?.toISOString() ?? null,
  });

  if (h.disconnected)
    return say(
      'warning',
      `This number is disconnected and its Auth Token was erased, so Twilio is not checked. ${h.canRepair ? 'Connect it again' : 'An owner or admin can connect it again'} to receive its messages here.`,
    );

  const status = h.sender.status;
  if (status === 'OFFLINE') {
    const reasons = h.sender.offlineReasons
      .map((r) => [r.message, r.code === null ? null : `(${r.code})`].filter(Boolean).join(' '))
      .filter((text) => text !== '');
    const why = reasons.length > 0 ? `: ${reasons.join('; ')}` : ' without giving a reason';
    return say(
      'error',
      `Twilio reports this WhatsApp sender OFFLINE${why}. Nothing can be sent or received until it is back online: open it in ${SENDERS_IN_CONSOLE}.`,
    );
  }
  if (status !== null && !WORKING_STATUSES.has(status))
    return say(
      'warning',
      `Twilio has not finished setting up this WhatsApp sender (${status}). Complete its registration in ${SENDERS_IN_CONSOLE}; messages flow once it is ONLINE.`,
    );

  if (h.drift.length > 0) {
    const what = inboundDrifted(h.drift) ? 'messages' : 'delivery statuses';
    return say(
      'error',
      h.canRepair
        ? `Twilio no longer sends this number's ${what} to us: Repair.`
        : `Twilio no longer sends this number's ${what} to us: ask an owner or admin to Repair it.`,
    );
  }

  if (h.signatureFailingSince !== null)
    return say(
      'error',
      `Twilio's requests have failed the signature check since ${clockTime(h.signatureFailingSince)}: was the Auth Token changed in Twilio? ${h.canRepair ? 'Update it here.' : 'Ask an owner or admin to update it here.'}`,
      h.signatureFailingSince,
    );

  const failed = h.deliveries.processingFailed;
  if (failed > 0)
    return say(
      'warning',
      `${failed === 1 ? '1 delivery' : `${failed} deliveries`} from Twilio failed in processing in the last 24 hours: ${h.canRepair ? 'see why, and retry, in the delivery log' : 'an owner or admin can see why, and retry, in the delivery log'}.`,
    );

  if (h.twilio.reachability === 'unreachable' || h.twilio.reachability === 'refused')
    return say(
      h.twilio.reachability === 'refused' ? 'error' : 'warning',
      `Twilio could not be asked about this sender. ${h.twilio.message ?? 'It did not answer.'} The figures below come from our side only.`,
    );

  if (!h.isActive)
    return say(
      'warning',
      `Sending from this number is paused; its messages still arrive. ${h.canRepair ? 'Resume sending' : 'An owner or admin can resume sending'} when ready.`,
    );

  if (h.sender.kind === 'sandbox')
    return say(
      'ok',
      "Nothing wrong on our side. Twilio's sandbox has no API for its status or webhooks: check them in the Twilio Console.",
    );
  return say(
    'ok',
    h.sender.kind === 'sender'
      ? `The sender is ${status ?? 'ONLINE'} and Twilio sends its webhooks to us.`
      : h.sender.kind === 'messaging_service'
        ? "Twilio sends the Messaging Service's webhooks to us, for every sender in its pool."
        : "Twilio sends this number's webhooks to us.",
  );
}
