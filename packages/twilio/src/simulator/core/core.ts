import { AccountBook } from './accounts.ts';
import { FaultQueue } from './faults.ts';
import type { ResolvedSimulatorOptions, SimulatorOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import { RequestLog } from './request-log.ts';
import { WebhookOutbox } from './webhooks.ts';

/** What every product of the simulator shares: accounts, switches, the request log, faults and webhooks. */
export class SimulatorCore {
  readonly options: ResolvedSimulatorOptions;
  readonly accounts = new AccountBook();
  readonly log = new RequestLog();
  readonly faults = new FaultQueue();
  readonly webhooks: WebhookOutbox;

  constructor(options: SimulatorOptions = {}) {
    this.options = resolveOptions(options);
    this.webhooks = new WebhookOutbox(() => this.options);
  }

  reset() {
    this.accounts.clear();
    this.log.clear();
    this.faults.clear();
    this.webhooks.clear();
  }
}
