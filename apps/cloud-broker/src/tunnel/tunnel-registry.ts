import { TunnelError, TunnelErrorCode, type TunnelSession } from '@lanbridge/tunnel-protocol';

/** One authenticated tunnel on this node. */
export interface TunnelEntry {
  readonly connectorId: string;
  readonly orgId: string;
  readonly sessionId: string;
  readonly session: TunnelSession;
  readonly remoteAddress: string | undefined;
  readonly connectedAt: Date;
}

/**
 * Where live tunnels are found. This node's in-memory registry today; a Redis-backed
 * directory (connector → node, for forwarding between broker replicas) implements the same
 * interface later.
 */
export interface TunnelDirectory {
  /**
   * Adds a freshly authenticated tunnel. Newest session wins: a previous session of the same
   * connector is closed with REPLACED and returned.
   */
  add(entry: TunnelEntry): TunnelEntry | undefined;
  /** Removes `entry` if it is still the current one for its connector; false otherwise. */
  remove(entry: TunnelEntry): boolean;
  get(connectorId: string): TunnelEntry | undefined;
  /** Live tunnels of an organization. */
  forOrg(orgId: string): readonly TunnelEntry[];
  /**
   * The open session of `orgId` with the fewest open streams, skipping draining sessions and
   * `exclude` (a session that just refused a stream); undefined when none is usable.
   */
  pick(orgId: string, exclude?: TunnelSession): TunnelSession | undefined;
  entries(): IterableIterator<TunnelEntry>;
  readonly size: number;
}

export class TunnelRegistry implements TunnelDirectory {
  private readonly byConnector = new Map<string, TunnelEntry>();
  private readonly byOrg = new Map<string, TunnelEntry[]>();

  get size(): number {
    return this.byConnector.size;
  }

  add(entry: TunnelEntry): TunnelEntry | undefined {
    const previous = this.byConnector.get(entry.connectorId);
    if (previous) this.detach(previous);
    this.byConnector.set(entry.connectorId, entry);
    const list = this.byOrg.get(entry.orgId);
    if (list) list.push(entry);
    else this.byOrg.set(entry.orgId, [entry]);
    if (previous && previous.session !== entry.session) {
      previous.session.close(new TunnelError(TunnelErrorCode.REPLACED, `replaced by session ${entry.sessionId}`));
    }
    return previous;
  }

  remove(entry: TunnelEntry): boolean {
    if (this.byConnector.get(entry.connectorId) !== entry) return false;
    this.detach(entry);
    return true;
  }

  get(connectorId: string): TunnelEntry | undefined {
    return this.byConnector.get(connectorId);
  }

  forOrg(orgId: string): readonly TunnelEntry[] {
    return this.byOrg.get(orgId) ?? [];
  }

  pick(orgId: string, exclude?: TunnelSession): TunnelSession | undefined {
    const list = this.byOrg.get(orgId);
    if (!list) return undefined;
    let best: TunnelSession | undefined;
    let bestLoad = Infinity;
    for (const e of list) {
      const s = e.session;
      if (s === exclude || s.state !== 'open') continue;
      const load = s.stats.openStreams;
      if (load < bestLoad) {
        best = s;
        bestLoad = load;
      }
    }
    return best;
  }

  entries(): IterableIterator<TunnelEntry> {
    return this.byConnector.values();
  }

  private detach(entry: TunnelEntry): void {
    this.byConnector.delete(entry.connectorId);
    const list = this.byOrg.get(entry.orgId);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byOrg.delete(entry.orgId);
  }
}
