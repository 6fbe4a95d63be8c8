import { bareWhatsappAddress, type WhatsappMessage } from '@app/contracts';
import { statusTicks } from '../conversation/message-status.ts';
import { DateTime } from '../ui/DateTime.tsx';

/** Twilio's error for free text outside the 24-hour window (also for a template WhatsApp has not approved). */
export const OUTSIDE_WINDOW_ERROR = 63016;

/** One message of a thread: what the customer saw or wrote, when, and how far it got. */
export function MessageBubble({
  message,
  onSendAsTemplate,
}: {
  message: WhatsappMessage;
  /** Offered on a message WhatsApp refused for the window (63016): opens the template picker. */
  onSendAsTemplate?: (() => void) | undefined;
}) {
  const status = statusTicks(message);
  const outbound = message.direction === 'outbound';
  const from = bareWhatsappAddress(message.from);
  const who = outbound
    ? `To ${bareWhatsappAddress(message.to)}`
    : message.profileName
      ? `${message.profileName} (${from})`
      : from;
  const tapped = message.direction === 'inbound' ? tappedButton(message) : null;
  return (
    <li
      className={`bubble bubble--${message.direction}${status.tone === 'failed' ? ' bubble--failed' : ''}`}
      data-status={message.status}
    >
      <p className="bubble__who">{who}</p>
      {tapped !== null ? (
        <p className="bubble__body bubble__tapped">
          <span className="muted">Tapped </span>
          <span className="bubble__button">{tapped}</span>
        </p>
      ) : (
        message.body && <p className="bubble__body">{message.body}</p>
      )}
      {message.media.length > 0 && (
        <ul className="bubble__media">
          {message.media.map((m) => (
            <li key={m.url}>
              <a href={m.url} target="_blank" rel="noreferrer noopener">
                {m.contentType ?? 'Attachment'}
              </a>
            </li>
          ))}
        </ul>
      )}
      <p className="bubble__meta">
        <DateTime iso={message.createdAt} />
        {outbound && (
          <span className={`ticks ticks--${status.tone}`} title={status.label}>
            <span aria-hidden="true">{status.ticks} </span>
            {status.label}
          </span>
        )}
      </p>
      {message.errorMessage && <p className="bubble__error">{message.errorMessage}</p>}
      {onSendAsTemplate && outbound && message.errorCode === OUTSIDE_WINDOW_ERROR && (
        <p className="bubble__action">
          <button type="button" className="button button--quiet" onClick={onSendAsTemplate}>
            Send as template
          </button>
        </p>
      )}
    </li>
  );
}

/** A quick-reply answer: the button the customer tapped (Twilio's ButtonText), else null. */
function tappedButton(message: WhatsappMessage): string | null {
  const text = (message as { buttonText?: string | null }).buttonText;
  return typeof text === 'string' && text !== '' ? text : null;
}
