import type { WhatsappMessage } from '@app/contracts';

/** What a message's ticks say, for the eye and for a screen reader. */
export function statusTicks(message: Pick<WhatsappMessage, 'direction' | 'status'>): {
  ticks: string;
  label: string;
  tone: 'pending' | 'sent' | 'read' | 'failed' | 'none';
} {
  if (message.direction === 'inbound') return { ticks: '', label: 'Received', tone: 'none' };
  switch (message.status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
      return { ticks: '○', label: 'Queued', tone: 'pending' };
    case 'sent':
      return { ticks: '✓', label: 'Sent', tone: 'sent' };
    case 'delivered':
      return { ticks: '✓✓', label: 'Delivered', tone: 'sent' };
    case 'read':
      return { ticks: '✓✓', label: 'Read', tone: 'read' };
    case 'failed':
    case 'undelivered':
    case 'canceled':
      return {
        ticks: '!',
        label: message.status === 'undelivered' ? 'Not delivered' : 'Failed',
        tone: 'failed',
      };
    default:
      return { ticks: '', label: message.status, tone: 'none' };
  }
}
