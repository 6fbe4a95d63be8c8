import { beforeAll, expect, it } from 'vitest';
import type { Tx } from '../../src/client.ts';
import { useTestDatabase } from '../../src/vitest.ts';
import {
  type Actor,
  attempt,
  INSUFFICIENT_PRIVILEGE,
  type Outcome,
  seedWorld,
  type World,
  type WorldKey,
} from './world.ts';

/** One step of a role matrix: a statement an actor tries, returning the ids it touched. */
export type Operation = (tx: Tx, world: World, actorId: string | null) => Promise<{ id: string }[]>;

/** What the actor should get: exactly these seeded rows, one new row, or 42501. */
export type Expected = { rows: WorldKey[] } | { inserted: 1 } | { error: typeof INSUFFICIENT_PRIVILEGE };

export const rows = (...keys: WorldKey[]): Expected => ({ rows: keys });
export const none: Expected = { rows: [] };
export const insertsOneRow: Expected = { inserted: 1 };
export const denied: Expected = { error: INSUFFICIENT_PRIVILEGE };

/** One row of a role matrix: who tries what, and what they should get. */
export interface Case {
  behaviour: string;
  actor: Actor;
  operation: Operation;
  expected: Expected;
}

function expectOutcome(outcome: Outcome, expected: Expected, world: World) {
  if ('error' in expected) {
    expect(outcome).toEqual({ error: expected.error });
  } else if ('inserted' in expected) {
    expect(outcome).toEqual({ rows: [expect.any(String)] });
  } else {
    expect(outcome).toEqual({ rows: expected.rows.map((k) => world[k]).sort() });
  }
}

/**
 * A fresh database with the two-organization world seeded once for the file; `checkEach(cases)`
 * adds one test per case, named by its behaviour, that runs the operation as the case's actor.
 */
export function useRoleMatrix() {
  const database = useTestDatabase();
  let world: World;
  beforeAll(async () => {
    world = await seedWorld(database.db);
  });

  return {
    checkEach(cases: Case[]) {
      it.each(cases)('$behaviour', async ({ actor, operation, expected }) => {
        const outcome = await attempt(database.db, world, actor, (tx, actorId) =>
          operation(tx, world, actorId),
        );
        expectOutcome(outcome, expected, world);
      });
    },
  };
}
