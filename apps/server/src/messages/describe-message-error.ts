import { WINDOW_CLOSED_ERROR_CODE } from '@app/contracts';
import { describeTwilioError } from '@app/twilio';

/**
 * 63016 on a message we sent: free text that reached WhatsApp after the
 * customer's 24-hour window closed (https://www.twilio.com/docs/api/errors/63016).
 * A send is refused before Twilio when our history shows the window closed, so
 * this one closed in between (or their message reached us late): what helps is
 * the same words as a template, which `errorCode` lets the conversation offer.
 */
export const WINDOW_CLOSED_SENTENCE =
  'The customer had not written in the last 24 hours when WhatsApp received this message (63016), so only an approved template reaches them now. Send it again as a template.';

/**
 * The sentence shown beside a failed message. Twilio's code wins over the stored
 * text: the code is what the status callback carries (63016, 63015, 30008…), and
 * one table in @app/twilio says what a person can do about each.
 */
export function describeMessageError(errorCode: number | null, storedMessage: string | null): string | null {
  if (errorCode === null) return storedMessage;
  if (errorCode === WINDOW_CLOSED_ERROR_CODE) return WINDOW_CLOSED_SENTENCE;
  return (
    describeTwilioError(errorCode) ??
    storedMessage ??
    `Twilio reported error ${errorCode}. See https://www.twilio.com/docs/api/errors/${errorCode}.`
  );
}
