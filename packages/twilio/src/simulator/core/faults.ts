/** A canned answer for the next REST calls: a Twilio error, or a hang. */
export interface InjectedFault {
  /** Only calls to this operation (e.g. 'FetchAccount'); all when absent. */
  operationId?: string;
  /** Only calls made with this account's credentials (tests sharing one simulator); all when absent. */
  accountSid?: string;
  status?: number;
  code?: number;
  /** Hold the answer this long before answering (or, without `status`, before the normal answer). */
  delayMs?: number;
  /** How many calls it applies to; default 1. */
  count?: number;
}

/** Faults waiting for the REST calls they apply to. */
export class FaultQueue {
  readonly #faults: (InjectedFault & { remaining: number })[] = [];

  inject(fault: InjectedFault) {
    this.#faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  clear() {
    this.#faults.length = 0;
  }

  /** The first fault for this operation, counted as used. */
  take(operationId: string | undefined, accountSid?: string): InjectedFault | undefined {
    const index = this.#faults.findIndex(
      (f) =>
        (f.operationId === undefined || f.operationId === operationId) &&
        (f.accountSid === undefined || f.accountSid === accountSid),
    );
    if (index === -1) return undefined;
    const fault = this.#faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
