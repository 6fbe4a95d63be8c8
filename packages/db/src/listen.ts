import postgres from 'postgres';

export interface ListenHandlers {
  /** A notification on the channel, with its payload ('' when none). */
  onNotify(payload: string): void;
  /**
   * LISTEN is in place, first or again after a loss: anything may have changed
   * while no one listened, so whatever was learnt from notifications is stale.
   */
  onListening?(): void;
  /** The listening connection is gone: notifications are missed until onListening. */
  onLost?(): void;
}

export interface Listener {
  /** Whether LISTEN is in place right now (no notification can be missed). */
  readonly listening: boolean;
  /** Settles after the first attempt, whether it succeeded or not (later ones go on in the background). */
  readonly firstAttempt: Promise<void>;
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` over a connection of its own, opened with the pool's
 * settings, and keeps doing so: when that connection drops (database restart,
 * pg_terminate_backend) it says so at once (onLost) and reconnects, every
 * `retryMs` while the database is away. postgres.js's own `listen` re-listens
 * too, but tells nobody that it lost the connection, and gives up silently if the
 * first retry fails.
 */
export function listenWithReconnect(
  pool: postgres.Sql,
  channel: string,
  handlers: ListenHandlers,
  options: { retryMs?: number } = {},
): Listener {
  const retryMs = options.retryMs ?? 1_000;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const lost = () => {
    if (!listening) return;
    listening = false;
    handlers.onLost?.();
  };
  const connection = postgres({
    // The pool's parsed settings (host, credentials, role, timeouts), as postgres.js's own listen does.
    ...(pool.options as unknown as postgres.Options<Record<string, never>>),
    max: 1,
    // 0: never closed for idleness or age (a LISTEN connection is idle by design).
    idle_timeout: 0,
    max_lifetime: 0,
    fetch_types: false,
    onnotify: (name: string, payload: string) => {
      if (name === channel) handlers.onNotify(payload);
    },
    onclose: () => {
      // A failed attempt retries on its own, after retryMs; a lost LISTEN at once.
      const wasListening = listening;
      lost();
      if (wasListening && !closed) schedule(0);
    },
  } as unknown as postgres.Options<Record<string, never>>);

  const schedule = (delayMs: number) => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delayMs);
    retry.unref();
  };
  const connect = async () => {
    if (closed || listening) return;
    try {
      await connection`listen ${connection(channel)}`;
      if (closed) return;
      listening = true;
      handlers.onListening?.();
    } catch {
      lost();
      schedule(retryMs);
    }
  };

  const firstAttempt = connect();
  return {
    get listening() {
      return listening;
    },
    firstAttempt,
    async close() {
      closed = true;
      clearTimeout(retry);
      listening = false;
      await connection.end({ timeout: 1 }).catch(() => undefined);
    },
  };
}
