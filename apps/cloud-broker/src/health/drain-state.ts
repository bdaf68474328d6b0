export const DRAIN_STATE = Symbol('DRAIN_STATE');

/** Set once a graceful shutdown begins; readiness then fails so load balancers move away. */
export interface DrainState {
  readonly draining: boolean;
}
