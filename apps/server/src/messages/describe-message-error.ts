import { describeTwilioError } from '@app/twilio';

/**
 * The sentence shown beside a failed message. Twilio's code wins over the stored
 * text: the code is what the status callback carries (63016, 63015, 30008…), and
 * one table in @app/twilio says what a person can do about each.
 */
export function describeMessageError(errorCode: number | null, storedMessage: string | null): string | null {
  if (errorCode === null) return storedMessage;
  return (
    describeTwilioError(errorCode) ??
    storedMessage ??
    `Twilio reported error ${errorCode}. See https://www.twilio.com/docs/api/errors/${errorCode}.`
  );
}
