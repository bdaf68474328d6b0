/**
 * A site behind a real tunnel session, for in-process broker suites: a connector built from the
 * tunnel protocol library that records every client request reaching the site (method, path,
 * headers, body) and answers it with `answer`. The broker's own hello (it learns the site key)
 * gets 404 and is not recorded.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  connectorHandshake,
  createSession,
  type TunnelSession,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import WebSocket from 'ws';
import type { RunningBroker } from '../../src/bootstrap';

export interface SiteRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: readonly string[];
  readonly body: Buffer;
}

export interface RecordingSite {
  readonly session: TunnelSession;
  readonly connectorId: string;
  readonly reached: SiteRequest[];
  close(): void;
}

export function headerOf(r: SiteRequest, name: string): string | undefined {
  for (let i = 0; i + 1 < r.headers.length; i += 2) if (r.headers[i].toLowerCase() === name) return r.headers[i + 1];
  return undefined;
}

export async function connectRecordingSite(
  brokerUrl: string,
  connectorId: string,
  privateKey: KeyObject,
  answer: (r: SiteRequest) => { status: number; body: string } = () => ({ status: 200, body: '{}' }),
): Promise<RecordingSite> {
  const ws = new WebSocket(`${brokerUrl.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1], {
    perMessageDeflate: false,
  });
  const transport = wsTransport(ws);
  const ready = await connectorHandshake(transport, {
    connectorId,
    privateKey,
    agent: { version: 't', hostname: 't' },
  });
  const session = createSession(transport, 'connector', { version: ready.version });
  const reached: SiteRequest[] = [];
  session.on('stream', (s) => {
    s.on('error', () => undefined);
    const { method, path, headers } = s.requestHead;
    // Client requests carry the broker's forwarding headers; its own hello does not.
    const fromClient = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'x-forwarded-prefix');
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      if (!fromClient) {
        s.sendResponseHead({ status: 404, headers: [] });
        s.end();
        return;
      }
      const r: SiteRequest = { method, path, headers, body: Buffer.concat(chunks) };
      reached.push(r);
      const a = answer(r);
      s.sendResponseHead({ status: a.status, headers: ['content-type', 'application/json'] });
      s.end(a.body);
    });
  });
  return { session, connectorId, reached, close: () => session.close() };
}

/** Registers a connector for `orgSlug` on an in-process broker and connects a recording site. */
export async function recordingSiteFor(
  broker: RunningBroker,
  orgSlug: string,
  answer?: (r: SiteRequest) => { status: number; body: string },
): Promise<RecordingSite> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const reg = await broker.connectors.register({
    orgSlug,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  });
  return connectRecordingSite(broker.url, reg.connectorId, privateKey, answer);
}
