import type { Ref } from 'react';

/** No number yet: what is needed and where in Twilio's console each piece is. */
export function WhatsappEmptyState({
  canManage,
  headingRef,
}: {
  canManage: boolean;
  headingRef: Ref<HTMLHeadingElement>;
}) {
  return (
    <section className="panel empty" aria-labelledby="empty-title">
      <h2 id="empty-title" ref={headingRef} tabIndex={-1}>
        No WhatsApp number connected yet
      </h2>
      {canManage ? (
        <>
          <p>You need three things from your Twilio account:</p>
          <ul className="empty__list">
            <li>
              <strong>Account SID</strong> and <strong>Auth Token</strong>: on the Twilio Console home page,
              in the Account Info box.
            </li>
            <li>
              <strong>Your WhatsApp number</strong>: under Messaging &gt; Senders &gt; WhatsApp senders.
              Trying things out? The sandbox number is under Messaging &gt; Try it out &gt; Send a WhatsApp
              message.
            </li>
          </ul>
          <p className="muted">
            We check the credentials with Twilio, find the number in your account and, where Twilio allows it,
            point its webhooks here for you.
          </p>
        </>
      ) : (
        <p>An owner or admin of your organization can connect one. You will see it here once they do.</p>
      )}
    </section>
  );
}
