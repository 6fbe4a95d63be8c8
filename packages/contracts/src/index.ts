export * from './auth.ts';
export * from './connections.ts';
export * from './delivery-log.ts';
export * from './health.ts';
export * from './messages.ts';
export * from './twilio.ts';
export * from './webhook-events.ts';
