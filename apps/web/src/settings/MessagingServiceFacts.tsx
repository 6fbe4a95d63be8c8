import type { WhatsappConnection } from '@app/contracts';

/**
 * For a connection made with a Messaging Service: the service's SID and the WhatsApp
 * senders of its pool (any of them may send a message; replies to each land here).
 * Rendered inside the card's facts list.
 */
export function MessagingServiceFacts({ connection }: { connection: WhatsappConnection }) {
  const service = connection.messagingService;
  if (!service) return null;
  return (
    <>
      <div className="card__fact--wide">
        <dt>Messaging Service</dt>
        <dd>
          <code>{service.sid}</code>
        </dd>
      </div>
      <div className="card__fact--wide">
        <dt>Its WhatsApp senders</dt>
        <dd>
          {service.senders.length === 0 ? (
            <span className="muted">None listed by Twilio at the last check</span>
          ) : (
            <ul className="plain-list" aria-label="WhatsApp senders of the Messaging Service">
              {service.senders.map((number) => (
                <li key={number}>{number}</li>
              ))}
            </ul>
          )}
        </dd>
      </div>
    </>
  );
}
