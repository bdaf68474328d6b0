import { type TunnelEntry, TunnelRegistry } from '../tunnel/tunnel-registry';

/**
 * The node's tunnel registry, telling listeners about each new tunnel: the portal pushes the
 * organisation QR and pending settings to a connector as soon as it connects, and listens to
 * what the connector reports (agent version, server address).
 */
export class ObservedTunnelRegistry extends TunnelRegistry {
  private readonly listeners: ((entry: TunnelEntry) => void)[] = [];
  private readonly removedListeners: ((entry: TunnelEntry) => void)[] = [];

  onAdded(listener: (entry: TunnelEntry) => void): void {
    this.listeners.push(listener);
  }

  /** After a tunnel left the registry (closed, or replaced by its connector's newer session). */
  onRemoved(listener: (entry: TunnelEntry) => void): void {
    this.removedListeners.push(listener);
  }

  override add(entry: TunnelEntry): TunnelEntry | undefined {
    const previous = super.add(entry);
    if (previous) for (const l of this.removedListeners) l(previous);
    for (const l of this.listeners) l(entry);
    return previous;
  }

  override remove(entry: TunnelEntry): boolean {
    const removed = super.remove(entry);
    if (removed) for (const l of this.removedListeners) l(entry);
    return removed;
  }
}
