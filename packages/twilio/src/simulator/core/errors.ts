/** A request to the simulator's own API that cannot be done (unknown account, bad number…). */
export class SimulatorError extends Error {
  override name = 'SimulatorError';
}
