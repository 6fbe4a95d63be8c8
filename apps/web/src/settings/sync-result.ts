import type { SyncConnectionResult } from '@app/contracts';

const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What a sync found, in one sentence: "Checked Twilio from 09:12 to 10:40: 3 messages
 * recovered, 2 statuses updated." The start shows its day when it is not today's.
 */
export function describeSyncResult(result: SyncConnectionResult, now = new Date()): string {
  const from = new Date(result.checkedFrom);
  const to = new Date(result.checkedTo);
  const sameDay = from.toDateString() === to.toDateString() && to.toDateString() === now.toDateString();
  const window = `Checked Twilio from ${(sameDay ? time : dayAndTime).format(from)} to ${time.format(to)}`;
  const found = [
    ...(result.inboundRecovered > 0
      ? [`${plural(result.inboundRecovered, 'message', 'messages')} recovered`]
      : []),
    ...(result.statusesUpdated > 0
      ? [`${plural(result.statusesUpdated, 'status', 'statuses')} updated`]
      : []),
  ];
  return found.length === 0 ? `${window}. Nothing was missing.` : `${window}: ${found.join(', ')}.`;
}
