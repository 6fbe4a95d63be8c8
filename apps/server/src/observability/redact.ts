/**
 * Log paths pino replaces with "[redacted]": credentials, cookies and authorization
 * headers must never reach a log line, whatever a handler logs.
 */
const secretKeys = [
  'authToken',
  'auth_token',
  'AuthToken',
  'password',
  'twilioAuthTokenHash',
  'twilio_auth_token_hash',
  'previousAuthToken',
  'twilioPreviousAuthToken',
  'twilio_previous_auth_token',
  'sessionSecret',
  'credentialsEncryptionKeys',
];

export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  // At the top of a logged object (log.warn({ authToken })) and one level down
  // (log.warn({ input: { authToken } })): pino's `*` matches one level only.
  ...secretKeys,
  ...secretKeys.map((key) => `*.${key}`),
  'input.authToken',
  'input.password',
];
