import type { TunnelDirectory } from '../tunnel/tunnel-registry';

export type PeerForwardOutcome = 'answered' | 'unreachable' | 'timeout';

/**
 * Counters for `GET /metrics` (Prometheus text format). Labels never carry connector or org
 * ids: their cardinality is unbounded.
 */
export class MetricsService {
  private readonly ingressByStatus = new Map<number, number>();
  private tunnelAuthFailures = 0;
  private readonly peerForwards: Record<PeerForwardOutcome, number> = { answered: 0, unreachable: 0, timeout: 0 };

  constructor(private readonly registry: TunnelDirectory) {}

  countIngress(status: number): void {
    this.ingressByStatus.set(status, (this.ingressByStatus.get(status) ?? 0) + 1);
  }

  /** A request forwarded to the broker node that holds the site's tunnel (a cluster). */
  countPeerForward(outcome: PeerForwardOutcome): void {
    this.peerForwards[outcome]++;
  }

  countAuthFailure(): void {
    this.tunnelAuthFailures++;
  }

  render(): string {
    let streams = 0;
    for (const e of this.registry.entries()) streams += e.session.stats.openStreams;
    const lines = [
      '# HELP lanbridge_tunnels_connected Authenticated connector tunnels on this node.',
      '# TYPE lanbridge_tunnels_connected gauge',
      `lanbridge_tunnels_connected ${this.registry.size}`,
      '# HELP lanbridge_streams_open Streams open across all tunnels on this node.',
      '# TYPE lanbridge_streams_open gauge',
      `lanbridge_streams_open ${streams}`,
      '# HELP lanbridge_tunnel_auth_failures_total Tunnel handshakes that failed.',
      '# TYPE lanbridge_tunnel_auth_failures_total counter',
      `lanbridge_tunnel_auth_failures_total ${this.tunnelAuthFailures}`,
      '# HELP lanbridge_ingress_requests_total Client requests through /t/, by HTTP status.',
      '# TYPE lanbridge_ingress_requests_total counter',
    ];
    for (const [code, n] of [...this.ingressByStatus].sort((a, b) => a[0] - b[0])) {
      lines.push(`lanbridge_ingress_requests_total{code="${code}"} ${n}`);
    }
    lines.push(
      '# HELP lanbridge_ingress_peer_forwards_total Client requests forwarded to the node that holds the tunnel, by outcome.',
      '# TYPE lanbridge_ingress_peer_forwards_total counter',
    );
    for (const [outcome, n] of Object.entries(this.peerForwards)) {
      lines.push(`lanbridge_ingress_peer_forwards_total{outcome="${outcome}"} ${n}`);
    }
    return lines.join('\n') + '\n';
  }
}
