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
  let child: FastifyBaseLogger | undefined;
  const made = () => {
    child ??= parent.child(bindings, options);
    return child;
  };
  const threshold = () => rank(child?.level ?? options.level ?? parent.level);
  const method =
    (name: Method) =>
    (...args: unknown[]) => {
      if (rank(name) < threshold()) return;
      (made()[name] as (...a: unknown[]) => void)(...args);
    };
  return {
    get level() {
      return child?.level ?? options.level ?? parent.level;
    },
    set level(level: string) {
      made().level = level;
    },
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
    silent: () => {},
    child: (more, moreOptions) => made().child(more, moreOptions),
  };
}
