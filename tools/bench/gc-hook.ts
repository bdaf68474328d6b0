/**
 * Loaded into the broker by `npm run bench:tunnel` (not with `--serve`, whose profiling hook
 * uses the same signal): on SIGUSR2 a full garbage collection, so the idle-memory figure is
 * the live memory of the idle connectors, not whatever garbage the load rounds left behind.
 * Needs `--expose-gc`. The broker is otherwise unchanged.
 */
const collect = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  collect?.();
  // Twice: the first pass may only have freed what keeps other garbage alive.
  collect?.();
});
