import { expect } from 'vitest';
import type { Tx } from '../../src/client.ts';
import { INSUFFICIENT_PRIVILEGE, type Outcome, type World, type WorldKey } from './world.ts';

/** One step of a role matrix: a statement an actor tries, returning the ids it touched. */
export type Operation = (tx: Tx, world: World, actorId: string | null) => Promise<{ id: string }[]>;

/** What the actor should get: exactly these seeded rows, one new row, or 42501. */
export type Expected = { rows: WorldKey[] } | { inserted: 1 } | { error: typeof INSUFFICIENT_PRIVILEGE };

export const rows = (...keys: WorldKey[]): Expected => ({ rows: keys });
export const none: Expected = { rows: [] };
export const insertsOneRow: Expected = { inserted: 1 };
export const denied: Expected = { error: INSUFFICIENT_PRIVILEGE };

export function expectOutcome(outcome: Outcome, expected: Expected, world: World) {
  if ('error' in expected) {
    expect(outcome).toEqual({ error: expected.error });
  } else if ('inserted' in expected) {
    expect(outcome).toEqual({ rows: [expect.any(String)] });
  } else {
    expect(outcome).toEqual({ rows: expected.rows.map((k) => world[k]).sort() });
  }
}
