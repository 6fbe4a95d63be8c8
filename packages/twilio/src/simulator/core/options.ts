import type { RetryPolicyName } from './connection-overrides.ts';
import { SimulatorError } from './errors.ts';
import type { RetryPolicy } from './webhooks.ts';
import { defaultRetryPolicy } from './webhooks.ts';

export interface SimulatorOptions {
  /** `twilio` (default): Twilio's webhook retry policy and URL fragment overrides; `all`: retry every failure. */
  retryPolicy?: RetryPolicyName;
  /** Attempts and timeout under `all`; the pause between attempts under both. */
  retry?: Partial<RetryPolicy>;
  /** Pause between the status steps of an outbound message. Default 5 ms. */
  statusDelayMs?: number;
  /** Move outbound messages through their statuses by themselves. Default true. */
  autoAdvance?: boolean;
  /** Send each status callback this many extra times. Default 0. */
  duplicateStatusCallbacks?: number;
  /** Send a message's status callbacks in a random order. Default false. */
  shuffleStatusCallbacks?: boolean;
  /** The clock for the 24-hour window. */
  now?: () => number;
}

export type ResolvedSimulatorOptions = Required<Omit<SimulatorOptions, 'retry'>> & { retry: RetryPolicy };

export function resolveOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  return {
    retryPolicy: options.retryPolicy ?? 'twilio',
    retry: { ...defaultRetryPolicy, ...options.retry },
    statusDelayMs: options.statusDelayMs ?? 5,
    autoAdvance: options.autoAdvance ?? true,
    duplicateStatusCallbacks: options.duplicateStatusCallbacks ?? 0,
    shuffleStatusCallbacks: options.shuffleStatusCallbacks ?? false,
    now: options.now ?? Date.now,
  };
}

/** Changes the switches given, in place (the clock stays). */
export function updateOptions(current: ResolvedSimulatorOptions, changes: Omit<SimulatorOptions, 'now'>) {
  if (changes.retryPolicy !== undefined) {
    if (changes.retryPolicy !== 'twilio' && changes.retryPolicy !== 'all') {
      throw new SimulatorError(`retryPolicy must be "twilio" or "all", got ${String(changes.retryPolicy)}`);
    }
    current.retryPolicy = changes.retryPolicy;
  }
  if (changes.retry) current.retry = { ...current.retry, ...changes.retry };
  if (changes.statusDelayMs !== undefined) current.statusDelayMs = changes.statusDelayMs;
  if (changes.autoAdvance !== undefined) current.autoAdvance = changes.autoAdvance;
  if (changes.duplicateStatusCallbacks !== undefined) {
    current.duplicateStatusCallbacks = changes.duplicateStatusCallbacks;
  }
  if (changes.shuffleStatusCallbacks !== undefined) {
    current.shuffleStatusCallbacks = changes.shuffleStatusCallbacks;
  }
}
