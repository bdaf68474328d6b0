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

/** A connector's open tunnel on another broker node of the cluster. */
export interface RemoteTunnel {
  /** That node's URL (BROKER_NODE_URL). */
  readonly node: string;
  readonly sessionId: string;
  readonly connectedAt: Date;
}

/** What a registry asks of the other nodes of a cluster (TunnelPresence). */
export interface ClusterLink {
  /** Every other node closes its tunnel of the connector with REVOKED. */
  revoke(connectorId: string): void;
  /** The connector's open tunnel on another node, if any. */
  locate(connectorId: string): Promise<RemoteTunnel | undefined>;
}

/**
 * Where live tunnels are found: this node's in-memory registry, and through a ClusterLink (a
 * Redis directory, in a cluster) the tunnels held by the other nodes.
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
  /**
   * Closes the connector's tunnel with REVOKED on this node and, in a cluster, on every other
   * node. Returns this node's entry, if it had one.
   */
  revokeEverywhere(connectorId: string, reason: string): TunnelEntry | undefined;
  /** The connector's open tunnel on another node; always undefined on a single node. */
  elsewhere(connectorId: string): Promise<RemoteTunnel | undefined>;
}

export class TunnelRegistry implements TunnelDirectory {
  private readonly byConnector = new Map<string, TunnelEntry>();
  private readonly byOrg = new Map<string, TunnelEntry[]>();
  private cluster: ClusterLink | undefined;

  /** Joins a cluster: revocations reach every node, and lookups see the other nodes' tunnels. */
  useCluster(link: ClusterLink): void {
    this.cluster = link;
  }

  revokeEverywhere(connectorId: string, reason: string): TunnelEntry | undefined {
    const entry = this.byConnector.get(connectorId);
    entry?.session.close(new TunnelError(TunnelErrorCode.REVOKED, reason));
    this.cluster?.revoke(connectorId);
    return entry;
  }

  elsewhere(connectorId: string): Promise<RemoteTunnel | undefined> {
    return this.cluster ? this.cluster.locate(connectorId) : Promise.resolve(undefined);
  }

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
