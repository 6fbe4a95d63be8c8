import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Method = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** pino's levels, lowest first; `silent` is above them all. */
const ORDER: readonly Method[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function rank(level: string): number {
  const i = ORDER.indexOf(level as Method);
  return i === -1 ? ORDER.length : i;
}

/**
 * A request's logger made only when something is logged at a level it writes.
 * Fastify gives every request a pino child (its request id bound); with redaction
 * configured, pino redacts each child's bindings as it makes it, and on the webhook
 * routes that was a fifth of the bytes the intake allocated per delivery (heap
 * sampling at 1,000 deliveries/s), for a logger that, at `warn`, almost never writes.
 * The lines this one writes are the same as the eager child's: the child is made, with
 * the same bindings and options, on the first call at or above its level.
 */
export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options);
}

/** One object per request, its methods on the prototype: nothing else is allocated until it logs. */
class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  trace(...args: unknown[]) {
    this.write('trace', args);
  }

  debug(...args: unknown[]) {
    this.write('debug', args);
  }

  info(...args: unknown[]) {
    this.write('info', args);
  }

  warn(...args: unknown[]) {
    this.write('warn', args);
  }

  error(...args: unknown[]) {
    this.write('error', args);
  }

  fatal(...args: unknown[]) {
    this.write('fatal', args);
  }

  silent() {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }

  private logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  private write(method: Method, args: unknown[]) {
    if (rank(method) < rank(this.level)) return;
    (this.logger()[method] as (...a: unknown[]) => void)(...args);
  }
}
