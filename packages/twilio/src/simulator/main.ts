import { parseArgs } from 'node:util';
import { startTwilioSimulator } from './start-twilio-simulator.ts';

// The demo's Twilio: `node src/simulator/main.ts --port 3999 [--host 127.0.0.1] [--retry-policy twilio|all]`.
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3999' },
    host: { type: 'string', default: '127.0.0.1' },
    'status-delay-ms': { type: 'string', default: '500' },
    'retry-policy': { type: 'string', default: 'twilio' },
  },
});

const running = await startTwilioSimulator({
  host: values.host,
  port: Number(values.port),
  statusDelayMs: Number(values['status-delay-ms']),
  retryPolicy: values['retry-policy'] === 'all' ? 'all' : 'twilio',
  logger: false,
});
console.log(`Twilio simulator listening on ${running.url} (control API under ${running.url}/_simulator)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
