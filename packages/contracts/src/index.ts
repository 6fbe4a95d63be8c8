export * from './auth.ts';
export * from './connections.ts';
export * from './twilio.ts';
