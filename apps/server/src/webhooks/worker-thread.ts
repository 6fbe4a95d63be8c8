import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { ServiceRole } from '@app/db';
import { HeapAfterFullGc } from '../observability/heap-after-gc.ts';
import { WebhookWorker, type WorkerLog } from './worker.ts';
import type { FromWorkerThread, ToWorkerThread, WorkerThreadData } from './worker-host.ts';

// The webhook worker's thread (started by worker-host.ts): its own event loop and
// its own service-role pool, so the intake's event loop only parses, verifies and
// stores deliveries.

const port = parentPort;
if (!port) throw new Error('worker-thread.ts runs as a worker thread (worker-host.ts starts it)');
const { databaseUrl, tuning } = workerData as WorkerThreadData;
const post = (message: FromWorkerThread) => port.postMessage(message);

/** Log fields as plain data: an Error keeps its message, code and stack across the thread boundary. */
function plain(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [
      k,
      v instanceof Error
        ? { type: v.name, message: v.message, stack: v.stack, code: (v as { code?: unknown }).code }
        : v,
    ]),
  );
}

function forward(level: 'info' | 'warn') {
  return ((fieldsOrMsg: unknown, msg?: string) => {
    if (typeof fieldsOrMsg === 'string') post({ type: 'log', level, fields: {}, msg: fieldsOrMsg });
    else post({ type: 'log', level, fields: plain(fieldsOrMsg as Record<string, unknown>), msg: msg ?? '' });
  }) as WorkerLog['info'];
}

// LISTEN has a connection of its own; one for batches, one for pruning beside them.
const serviceRole = ServiceRole.openPool(databaseUrl, { max: 2, applicationName: 'twilio-whatsapp-worker' });
const heapAfterFullGc = new HeapAfterFullGc().start();
const worker = new WebhookWorker(
  serviceRole,
  (report) =>
    post({
      type: 'batch',
      report,
      heapUsedBytes: getHeapStatistics().used_heap_size,
      heapAfterFullGcBytes: heapAfterFullGc.bytes,
    }),
  {
    info: forward('info'),
    warn: forward('warn'),
  },
  tuning,
);

port.on('message', (message: ToWorkerThread) => {
  if (message.type !== 'stop') return;
  void (async () => {
    await worker.stop();
    await serviceRole.close();
    heapAfterFullGc.stop();
    post({ type: 'stopped' });
  })();
});

await worker.start();
post({ type: 'started' });
