export * from './auth.ts';
export * from './connect-progress.ts';
export * from './connections.ts';
export * from './messages.ts';
export * from './twilio.ts';
export * from './webhook-events.ts';
