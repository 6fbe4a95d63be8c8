import { type ConnectProgress, type ConnectStep, type ConnectStepState, connectSteps } from '@app/contracts';
import { twilioWhatsappConnectProgress as progress, type Tx } from '@app/db';
import { eq, lt, sql } from 'drizzle-orm';
import { DomainError } from '../domain-error.ts';

// The connect flow's steps, written as each starts and ends, each in its own short
// transaction (committed at once, so the settings screen's poll sees it, on whatever
// server process the poll lands). A table, not process memory: DESIGN.md, "Nothing is
// kept in process memory that another process would need".

/** Runs `fn` as the signed-in user, in one transaction (the procedure's ctx.asUser). */
type AsUser = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** Attempts older than this are pruned at the next connect: far past any real attempt. */
const KEEP_ATTEMPTS = '1 hour';

/** What a failed step shows: a domain error's sentence, otherwise a generic one (never a stack). */
function failureMessage(error: unknown): string {
  return error instanceof DomainError
    ? error.message
    : 'Something went wrong at this step. Nothing was changed by it; try again.';
}

export interface ConnectProgressRecorder {
  /**
   * Runs one step: recorded running, then done when `run` resolves, or failed when it
   * throws or when `failure` finds a reason in its result (webhooks not set: the
   * connection is kept, but that step did not succeed).
   */
  step<T>(step: ConnectStep, run: () => Promise<T>, failure?: (result: T) => string | null): Promise<T>;
}

/** For a create without an attempt id (the API used directly): nothing is recorded. */
const silent: ConnectProgressRecorder = { step: (_step, run) => run() };

/**
 * Records the steps of one attempt. A failure to record is logged and ignored: the
 * progress is a view of the connect flow, never a reason for it to fail.
 */
export function connectProgressRecorder(options: {
  attemptId: string | undefined;
  userId: string;
  organizationId: string;
  asUser: AsUser;
  log: { warn(object: Record<string, unknown>, message: string): void };
}): ConnectProgressRecorder {
  const { attemptId } = options;
  if (attemptId === undefined) return silent;

  const record = async (step: ConnectStep, state: ConnectStepState, message: string | null) => {
    try {
      await options.asUser((tx) =>
        tx
          .insert(progress)
          .values({
            userId: options.userId,
            attemptId,
            step,
            organizationId: options.organizationId,
            state,
            message,
          })
          .onConflictDoUpdate({
            target: [progress.userId, progress.attemptId, progress.step],
            set: { state, message, updatedAt: sql`now()` },
          }),
      );
    } catch (error) {
      options.log.warn({ attemptId, step, err: (error as Error).name }, 'connect progress not recorded');
    }
  };

  return {
    async step(step, run, failure) {
      await record(step, 'running', null);
      let result: Awaited<ReturnType<typeof run>>;
      try {
        result = await run();
      } catch (error) {
        await record(step, 'failed', failureMessage(error));
        throw error;
      }
      const reason = failure?.(result) ?? null;
      await record(step, reason === null ? 'done' : 'failed', reason);
      return result;
    },
  };
}

/** Drops the caller's attempts older than an hour (row-level security limits it to theirs). */
export async function pruneConnectProgress(tx: Tx): Promise<void> {
  await tx.delete(progress).where(lt(progress.updatedAt, sql`now() - ${KEEP_ATTEMPTS}::interval`));
}

/**
 * The steps of the caller's attempt, in the flow's order. Run as the user: row-level
 * security shows only their own attempts, in an organization they administer.
 */
export async function readConnectProgress(tx: Tx, attemptId: string): Promise<ConnectProgress> {
  const rows = await tx
    .select({ step: progress.step, state: progress.state, message: progress.message })
    .from(progress)
    .where(eq(progress.attemptId, attemptId));
  // At most four rows: put in the flow's order here, from the contract's list.
  return { steps: rows.sort((a, b) => connectSteps.indexOf(a.step) - connectSteps.indexOf(b.step)) };
}
