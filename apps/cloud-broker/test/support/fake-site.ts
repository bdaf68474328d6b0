/**
 * An on-prem site as the broker and a connector see it: an Ed25519 key and a site id, answering
 * `POST /api/v1/auth/hello` with a signed hello, over a tunnel stream or over HTTP (a connector's
 * local application), and signing site access tokens.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { okpThumbprint } from '@lanbridge/security-contract/node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  connectorHandshake,
  type ControlMessage,
  createSession,
  TunnelError,
  type TunnelSession,
  type TunnelStream,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import WebSocket from 'ws';

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');

function jws(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

export class FakeSite {
  key: KeyObject = generateKeyPairSync('ed25519').privateKey;
  readonly hellos: number[] = [];
  /** Hellos to answer 503 NOT_READY before answering (a site that is still starting). */
  refuse = 0;
  /** The other requests that reached the site over the tunnel, as `METHOD path`. */
  readonly requests: string[] = [];
  private server: http.Server | undefined;
  url = '';

  constructor(readonly siteId: string = randomUUID()) {}

  get x(): string {
    return String(this.key.export({ format: 'jwk' }).x);
  }

  get thumbprint(): string {
    return okpThumbprint({ kty: 'OKP', crv: 'Ed25519', x: this.x });
  }

  /** A hello for `nonce`, as access-core signs it. */
  hello(nonce: string): string {
    const enc = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    const iat = Math.floor(Date.now() / 1000);
    return jws(
      { alg: 'EdDSA', typ: 'site-hello+jwt', jwk: { kty: 'OKP', crv: 'Ed25519', x: this.x } },
      {
        iss: this.siteId,
        nonce,
        hid: randomUUID(),
        enc: { kty: 'OKP', crv: 'X25519', x: enc.x, kid: 'e', alg: 'ECDH-ES', use: 'enc' },
        iat,
        exp: iat + 120,
        v: 1,
      },
      this.key,
    );
  }

  /** A site access token for an administrator. */
  token(): string {
    const iat = Math.floor(Date.now() / 1000);
    return jws(
      { alg: 'EdDSA', typ: 'at+jwt', kid: this.thumbprint },
      {
        iss: this.siteId,
        aud: 'lanbridge-mobile',
        sub: 'op-1',
        role: 'admin',
        name: 'admin',
        sid: 's-1',
        iat,
        exp: iat + 600,
        jti: randomUUID(),
      },
      this.key,
    );
  }

  /** Answers one tunnel stream: a hello, or 200 `site` for anything else. */
  answer(stream: TunnelStream): void {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      const { method, path } = stream.requestHead;
      if (method === 'POST' && path === '/api/v1/auth/hello') {
        this.hellos.push(Date.now());
        if (this.refuse > 0) {
          this.refuse--;
          stream.sendResponseHead({ status: 503, headers: ['Content-Type', 'application/json'] });
          stream.end('{"code":"NOT_READY"}');
          return;
        }
        const { nonce } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { nonce: string };
        stream.sendResponseHead({ status: 200, headers: ['Content-Type', 'application/json'] });
        stream.end(JSON.stringify({ hello: this.hello(nonce) }));
        return;
      }
      this.requests.push(`${method} ${path}`);
      stream.sendResponseHead({ status: 200, headers: ['Content-Type', 'text/plain'] });
      stream.end('site');
    });
  }

  /** The same site over HTTP on 127.0.0.1, as a connector's local application. */
  async listen(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/api/v1/auth/hello') {
          this.hellos.push(Date.now());
          const { nonce } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { nonce: string };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello: this.hello(nonce) }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end('site');
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

export interface SiteTunnel {
  readonly session: TunnelSession;
  readonly ws: WebSocket;
  readonly messages: ControlMessage[];
  /** Resolves with the error the session closed with (undefined for a clean close). */
  readonly closed: Promise<TunnelError | undefined>;
}

/** A connector session (the tunnel protocol library) whose local application is `site`. */
export async function connectSite(
  brokerUrl: string,
  connectorId: string,
  key: KeyObject,
  site: Pick<FakeSite, 'answer'>,
): Promise<SiteTunnel> {
  const ws = new WebSocket(`${brokerUrl.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1]);
  const transport = wsTransport(ws);
  const ready = await connectorHandshake(transport, {
    connectorId,
    privateKey: key,
    agent: { version: 'test', hostname: 'fake-site' },
  });
  const session = createSession(transport, 'connector', { version: ready.version });
  const messages: ControlMessage[] = [];
  session.on('message', (m) => messages.push(m));
  session.on('stream', (s) => site.answer(s));
  const closed = new Promise<TunnelError | undefined>((resolve) =>
    session.once('close', (err?: unknown) => resolve(err instanceof TunnelError ? err : undefined)),
  );
  return { session, ws, messages, closed };
}
