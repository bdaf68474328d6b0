import { createPublicKey } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@lanbridge/logging';
import {
  brokerHandshake,
  createSession,
  TunnelError,
  TunnelErrorCode,
  type TunnelConfig,
  wsTransport,
  WS_SUBPROTOCOL_V1,
} from '@lanbridge/tunnel-protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { BrokerErrorCode } from '../common/broker-error';
import type { ConnectorRepository } from '../connectors/connector.repository';
import { writeSocketError } from '../http/raw-response';
import type { MetricsService } from '../metrics/metrics.service';
import type { TunnelDirectory, TunnelEntry } from './tunnel-registry';

export const TUNNEL_PATH = '/tunnel/v1/connect';

/**
 * The endpoint connectors dial. A raw `ws` server rather than a Nest @WebSocketGateway: Nest's
 * WsAdapter JSON-parses every message and takes over the http server's 'upgrade' event,
 * while tunnel messages are binary frames and one upgrade dispatcher must route both the
 * tunnel and the ingress's WebSocket upgrades.
 */
export class TunnelServer {
  private readonly wss: WebSocketServer;
  private readonly log: Logger;
  private accepting = true;
  /** Sockets still in the handshake, so a drain can close them too. */
  private readonly handshaking = new Set<WebSocket>();
  /** last_seen_at writes in progress; shutdown waits for them before closing the database. */
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      readonly nodeId: string;
      readonly tunnelConfig: TunnelConfig;
      readonly registry: TunnelDirectory;
      readonly connectors: ConnectorRepository;
      readonly metrics: MetricsService;
      readonly logger: Logger;
    },
  ) {
    this.log = deps.logger.child({ component: 'tunnel' });
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: deps.tunnelConfig.maxMessageBytes,
      clientTracking: true,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL_V1) ? WS_SUBPROTOCOL_V1 : false),
    });
  }

  /** Called by the upgrade dispatcher for TUNNEL_PATH. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.accepting) {
      writeSocketError(socket, 503, { code: BrokerErrorCode.BROKER_DRAINING, message: 'broker is draining' });
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(WS_SUBPROTOCOL_V1)) {
      this.log.info({ remote: req.socket.remoteAddress, offered }, 'tunnel refused: unsupported subprotocol');
      writeSocketError(
        socket,
        426,
        {
          code: BrokerErrorCode.UNSUPPORTED_SUBPROTOCOL,
          message: `WebSocket subprotocol ${WS_SUBPROTOCOL_V1} required`,
        },
        ['Upgrade', 'websocket', 'Sec-WebSocket-Protocol', WS_SUBPROTOCOL_V1],
      );
      return;
    }
    if (socket instanceof Socket) socket.setNoDelay(true);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.onConnection(ws, req.socket.remoteAddress);
    });
  }

  private async onConnection(ws: WebSocket, remote: string | undefined): Promise<void> {
    const transport = wsTransport(ws);
    this.handshaking.add(ws);
    let entry: TunnelEntry;
    try {
      const { ready } = await brokerHandshake(transport, {
        node: this.deps.nodeId,
        timeoutMs: this.deps.tunnelConfig.handshakeTimeoutMs,
        lookup: async (connectorId) => {
          // Revoked connectors are unknown connectors: the answer gives nothing away.
          const c = await this.deps.connectors.findActive(connectorId);
          return c ? { publicKey: createPublicKey(c.publicKey), orgId: c.organizationId } : undefined;
        },
      });
      entry = {
        connectorId: ready.connectorId,
        orgId: ready.orgId,
        sessionId: ready.sessionId,
        session: createSession(transport, 'broker', {
          config: this.deps.tunnelConfig,
          version: ready.version,
          logger: this.deps.logger.child({ connectorId: ready.connectorId, sessionId: ready.sessionId }),
        }),
        remoteAddress: remote,
        connectedAt: new Date(),
      };
    } catch (err) {
      this.metrics.countAuthFailure();
      const te =
        err instanceof TunnelError
          ? err
          : new TunnelError(TunnelErrorCode.INTERNAL, 'handshake failed', { cause: err });
      if (te.code === TunnelErrorCode.INTERNAL) this.log.error({ err, remote }, 'tunnel handshake crashed');
      else this.log.info({ remote, code: te.code, closeCode: te.wsCloseCode, reason: te.message }, 'tunnel refused');
      transport.close(te.wsCloseCode, te.code);
      return;
    } finally {
      this.handshaking.delete(ws);
    }

    if (!this.accepting) {
      entry.session.close(new TunnelError(TunnelErrorCode.GOING_AWAY, 'broker is draining'));
      return;
    }
    const replaced = this.deps.registry.add(entry);
    this.log.info(
      {
        connectorId: entry.connectorId,
        orgId: entry.orgId,
        sessionId: entry.sessionId,
        remote,
        replacedSessionId: replaced?.sessionId,
      },
      'tunnel connected',
    );
    this.touch(entry.connectorId);
    entry.session.once('close', (error) => {
      this.deps.registry.remove(entry);
      this.log.info(
        {
          connectorId: entry.connectorId,
          orgId: entry.orgId,
          sessionId: entry.sessionId,
          remote,
          closeCode: error ? error.wsCloseCode : 1000,
          code: error?.code,
        },
        'tunnel disconnected',
      );
      this.touch(entry.connectorId);
    });
  }

  private get metrics(): MetricsService {
    return this.deps.metrics;
  }

  private touch(connectorId: string): void {
    const write = this.deps.connectors
      .touchLastSeen(connectorId, new Date())
      .catch((err: unknown) => {
        this.log.warn({ err, connectorId }, 'could not update last_seen_at');
      })
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /** Resolves once pending database writes have finished. */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  /** Graceful: refuse new tunnels, GOAWAY every session (connectors reconnect elsewhere). */
  drain(): void {
    this.accepting = false;
    for (const ws of this.handshaking) ws.close(1001, TunnelErrorCode.GOING_AWAY);
    for (const e of this.deps.registry.entries()) e.session.goAway(TunnelErrorCode.GOING_AWAY, 'broker draining');
  }

  /** A revoked connector's live tunnel ends now, on whichever node of the cluster holds it. */
  revoke(connectorId: string): void {
    this.deps.registry.revokeEverywhere(connectorId, 'connector revoked');
  }

  /** Drops every tunnel socket still open (after closeAll's close frames had their chance). */
  terminateAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  /** Hard stop: sessions still open after the drain deadline are closed (their streams reset). */
  closeAll(): void {
    this.accepting = false;
    for (const ws of this.handshaking) ws.terminate();
    for (const e of [...this.deps.registry.entries()]) {
      e.session.close(new TunnelError(TunnelErrorCode.GOING_AWAY, 'broker stopped'));
    }
    this.wss.close();
  }
}
