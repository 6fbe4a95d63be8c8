export * from './client.ts';
export * from './connections.ts';
export * from './errors.ts';
export * from './listen.ts';
export * from './messages.ts';
export type { Queryable } from './prepared.ts';
export * from './schema.ts';
export * from './service-role.ts';
export * from './webhook-events.ts';
