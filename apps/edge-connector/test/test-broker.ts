import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import {
  brokerHandshake,
  createSession,
  TunnelError,
  TunnelErrorCode,
  wsTransport,
  WS_SUBPROTOCOL_V1,
  type TunnelConfig,
  type TunnelSession,
} from '@lanbridge/tunnel-protocol';
import { WebSocketServer, type WebSocket } from 'ws';

export interface BrokerSideSession {
  readonly sessionId: string;
  readonly session: TunnelSession;
  readonly ws: WebSocket;
  readonly openedAt: number;
  closedAt?: number;
}

/**
 * The broker side of a tunnel, built from the protocol library only: a `ws` server on
 * 127.0.0.1:0 that runs brokerHandshake and createSession('broker') per connection.
 */
export class TestBroker extends EventEmitter {
  readonly sessions: BrokerSideSession[] = [];
  /** Handshakes that failed, with their codes. */
  readonly refusals: TunnelErrorCode[] = [];
  handshakes = 0;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    super();
  }

  static async start(opts: {
    connectorId: string;
    publicKey: KeyObject;
    tunnelConfig?: Partial<TunnelConfig>;
  }): Promise<TestBroker> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: '/tunnel/v1/connect',
      perMessageDeflate: false,
      handleProtocols: (p) => (p.has(WS_SUBPROTOCOL_V1) ? WS_SUBPROTOCOL_V1 : false),
    });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const port = (wss.address() as AddressInfo).port;
    const broker = new TestBroker(wss, `ws://127.0.0.1:${port}/tunnel/v1/connect`);
    wss.on('connection', (ws) => {
      void broker.accept(ws, opts);
    });
    return broker;
  }

  private async accept(
    ws: WebSocket,
    opts: { connectorId: string; publicKey: KeyObject; tunnelConfig?: Partial<TunnelConfig> },
  ): Promise<void> {
    this.handshakes++;
    const transport = wsTransport(ws);
    try {
      const { ready } = await brokerHandshake(transport, {
        node: 'test-broker',
        timeoutMs: 2000,
        lookup: (id) =>
          Promise.resolve(id === opts.connectorId ? { publicKey: opts.publicKey, orgId: 'org-test' } : undefined),
      });
      const session = createSession(transport, 'broker', { config: opts.tunnelConfig, version: ready.version });
      const entry: BrokerSideSession = { sessionId: ready.sessionId, session, ws, openedAt: Date.now() };
      this.sessions.push(entry);
      session.once('close', () => {
        entry.closedAt = Date.now();
        this.emit('session-closed', entry);
      });
      this.emit('session', entry);
    } catch (err) {
      this.refusals.push(err instanceof TunnelError ? err.code : TunnelErrorCode.INTERNAL);
      this.emit('refused', err);
    }
  }

  latest(): BrokerSideSession {
    const s = this.sessions[this.sessions.length - 1];
    if (!s) throw new Error('no broker session yet');
    return s;
  }

  nextSession(): Promise<BrokerSideSession> {
    return new Promise((resolve) => this.once('session', resolve));
  }

  /** Hard stop: every socket terminated, the port released. */
  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
