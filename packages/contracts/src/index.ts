export * from './auth.ts';
export * from './connections.ts';
export * from './conversations.ts';
export * from './messages.ts';
export * from './templates.ts';
export * from './twilio.ts';
export * from './webhook-events.ts';
