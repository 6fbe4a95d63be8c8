import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { WorkerBatchReport, WorkerTuning } from './worker.ts';

/** What the worker thread is started with (structured-cloned). */
export interface WorkerThreadData {
  databaseUrl: string;
  tuning: WorkerTuning;
}

export type ToWorkerThread = { type: 'stop' };
export type FromWorkerThread =
  | { type: 'started' }
  | { type: 'stopped' }
  | {
      type: 'batch';
      report: WorkerBatchReport;
      heapUsedBytes: number;
      /** Undefined until the thread's first full collection. */
      heapAfterFullGcBytes: number | undefined;
    }
  | { type: 'log'; level: 'info' | 'warn'; fields: Record<string, unknown>; msg: string };

/**
 * The server runs its TypeScript through tsx, and a worker thread does not inherit
 * tsx's loader hooks (an entry URL ending in .ts fails with "Unknown file
 * extension"): the thread registers tsx itself, then loads its entry.
 */
const THREAD_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => {
  tsx.register();
  return import(${JSON.stringify(new URL('./worker-thread.ts', import.meta.url).href)});
})`;

/** A crashed thread is started again after this long (the poll's pace). */
const RESTART_MS = 1_000;
/**
 * At stop, how long the thread may take to finish its batch before it is ended
 * anyway: its transaction then rolls back and the batch stays pending.
 */
const STOP_TIMEOUT_MS = 10_000;

/**
 * The webhook worker in a worker thread of its own (worker-thread.ts), so that
 * claiming, applying and settling batches never holds up the intake's event loop.
 * The thread has its own service-role pool; its batch reports and log lines come
 * back here, to the server's metrics and logger. Durability is the worker's
 * (each batch one transaction): a thread that dies mid-batch leaves the batch
 * pending, and it is started again.
 */
export class WorkerThread {
  private thread: Worker | undefined;
  private stopping = false;
  private stopped: (() => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The thread's V8 heap in use, as of its last batch (its own isolate: not in the process's heap metrics). */
  heapUsedBytes: number | undefined;
  /** The thread's live heap: in use just after its latest full collection, as of its last batch. */
  heapAfterFullGcBytes: number | undefined;

  constructor(
    private readonly data: WorkerThreadData,
    private readonly report: (batch: WorkerBatchReport) => void,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Resolves once the thread's worker has started; rejects if the thread fails first (it is started again). */
  start(): Promise<void> {
    this.stopping = false;
    return new Promise<void>((resolve, reject) => {
      const thread = new Worker(THREAD_BOOTSTRAP, {
        eval: true,
        workerData: this.data,
        name: 'webhook-worker',
      });
      this.thread = thread;
      thread.on('message', (m: FromWorkerThread) => {
        if (m.type === 'batch') {
          this.report(m.report);
          this.heapUsedBytes = m.heapUsedBytes;
          this.heapAfterFullGcBytes = m.heapAfterFullGcBytes;
        } else if (m.type === 'log') this.log[m.level](m.fields, m.msg);
        else if (m.type === 'started') resolve();
        else if (m.type === 'stopped') this.stopped?.();
      });
      thread.on('error', (err) => {
        this.log.error({ err }, 'webhook worker thread failed');
        reject(err);
      });
      thread.on('exit', (code) => {
        if (this.thread === thread) this.thread = undefined;
        this.stopped?.();
        if (this.stopping) return;
        this.log.error({ code }, 'webhook worker thread exited; starting it again');
        this.restartTimer = setTimeout(() => {
          this.start().catch(() => {
            // Logged above; the exit handler tries again.
          });
        }, RESTART_MS);
        this.restartTimer.unref();
      });
    });
  }

  /** Lets the thread finish its current batch and close its pool, then ends it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const thread = this.thread;
    if (!thread) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.stopped = resolve;
      timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      thread.postMessage({ type: 'stop' } satisfies ToWorkerThread);
    });
    clearTimeout(timer);
    this.stopped = undefined;
    await thread.terminate();
  }
}
