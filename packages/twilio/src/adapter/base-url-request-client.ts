import twilio from 'twilio';
import type { TwilioApiCallOutcome } from './types.ts';

type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/**
 * The `twilio` package addresses api.twilio.com and messaging.twilio.com by
 * itself; this client keeps each call's path and query and sends it to one
 * origin instead (the simulator, or a spec mock). It is the package's own
 * extension point (`httpClient`), so the package still builds every request.
 * It also sees every HTTP exchange, which makes it the place to count them.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  readonly #origin: URL | undefined;
  readonly #onApiCall: ((outcome: TwilioApiCallOutcome) => void) | undefined;

  constructor(options: {
    apiBaseUrl?: string;
    timeoutMs: number;
    onApiCall?: (outcome: TwilioApiCallOutcome) => void;
  }) {
    // autoRetry stays off: retrying is the caller's decision, never on a 4xx.
    super({ timeout: options.timeoutMs, autoRetry: false });
    this.#origin = options.apiBaseUrl === undefined ? undefined : new URL(options.apiBaseUrl);
    this.#onApiCall = options.onApiCall;
  }

  override async request<TData>(opts: RequestOptions & { data?: TData }) {
    let target = opts;
    if (this.#origin !== undefined) {
      const uri = new URL(opts.uri);
      uri.protocol = this.#origin.protocol;
      uri.host = this.#origin.host;
      target = { ...opts, uri: uri.href };
    }
    try {
      const response = await super.request(target);
      this.#report(
        response.statusCode >= 500 ? 'server_error' : response.statusCode >= 400 ? 'client_error' : 'ok',
      );
      return response;
    } catch (error) {
      this.#report('unreachable');
      throw error;
    }
  }

  #report(outcome: TwilioApiCallOutcome) {
    try {
      this.#onApiCall?.(outcome);
    } catch {
      // A metrics hook must never turn a Twilio answer into a failure.
    }
  }
}
