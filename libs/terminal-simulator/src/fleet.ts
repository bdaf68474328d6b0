/**
 * Starts several simulated terminals against one server (the live site of the one-command
 * stack, demos, end-to-end tests).
 */
import { SimulatedTerminal, type SimulatedTerminalOptions } from './terminal';

/** One terminal of a fleet. Everything but `sn` falls back to the fleet defaults. */
export interface FleetTerminalSpec extends Partial<Omit<SimulatedTerminalOptions, 'serverUrl' | 'sn' | 'doorCount'>> {
  readonly sn: string;
  /** Label only (logs, demo scripts); the server assigns the real area. */
  readonly area?: string;
  /** Doors, 1–4. Default 1. */
  readonly doors?: number;
}

export interface FleetOptions {
  /** Options applied to every terminal unless its spec overrides them. */
  readonly defaults?: Partial<Omit<SimulatedTerminalOptions, 'serverUrl' | 'sn'>>;
  /** Wait until every terminal is online (ms); rejects if one is not. Default: do not wait. */
  readonly waitOnlineMs?: number;
}

export interface Fleet {
  readonly terminals: readonly SimulatedTerminal[];
  /** The terminal with serial number `sn`. */
  get(sn: string): SimulatedTerminal | undefined;
  /** Area label of a terminal, from its spec. */
  areaOf(sn: string): string | undefined;
  /** Stops every terminal. */
  stop(): Promise<void>;
}

/** Creates and starts one terminal per spec; SNs must be unique. */
export async function startFleet(
  serverUrl: string,
  specs: readonly FleetTerminalSpec[],
  options: FleetOptions = {},
): Promise<Fleet> {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.sn)) throw new Error(`duplicate terminal SN ${s.sn}`);
    seen.add(s.sn);
  }
  const areas = new Map<string, string | undefined>();
  const terminals = specs.map((spec) => {
    const { area, doors, ...rest } = spec;
    areas.set(spec.sn, area);
    return new SimulatedTerminal({
      ...options.defaults,
      ...rest,
      serverUrl,
      doorCount: doors ?? options.defaults?.doorCount ?? 1,
    });
  });
  const stop = async (): Promise<void> => {
    await Promise.all(terminals.map((t) => t.stop()));
  };
  await Promise.all(terminals.map((t) => t.start()));
  if (options.waitOnlineMs !== undefined) {
    const wait = options.waitOnlineMs;
    try {
      await Promise.all(terminals.map((t) => t.waitOnline(wait)));
    } catch (err) {
      await stop();
      throw err;
    }
  }
  return {
    terminals,
    get: (sn) => terminals.find((t) => t.sn === sn),
    areaOf: (sn) => areas.get(sn),
    stop,
  };
}
