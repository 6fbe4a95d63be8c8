export * from './auth.ts';
export * from './twilio.ts';
