import { randomUUID } from 'node:crypto';
import {
  type ClientRequest,
  type IncomingMessage,
  request as httpRequest,
  ServerResponse,
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@lanbridge/logging';
import {
  TunnelErrorCode,
  type RequestHead,
  type ResponseHead,
  type TunnelSession,
  type TunnelStream,
} from '@lanbridge/tunnel-protocol';
import { BROKER_ERROR_STATUS, BrokerErrorCode } from '../common/broker-error';
import { DATABASE_RETRY_AFTER_S, isDatabaseUnavailable } from '../database/database-errors';
import { withoutSiteCorsHeaders } from '../http/cors';
import { sendJsonError, writeSocketError } from '../http/raw-response';
import type { MetricsService } from '../metrics/metrics.service';
import { SITE_HELLO_PATH } from '../site-trust/site-trust.service';
import type { TunnelDirectory } from '../tunnel/tunnel-registry';
import {
  type IngressTarget,
  parseIngressUrl,
  requestHeadersForTunnel,
  responseHeadersForClient,
} from './forward-headers';
import type { IngressOrg, OrgSlugCache } from './org-slug.cache';
import { peerAgents, type PeerMark, peerRequestHeaders, type PeerRouting, readPeerMark } from './peer-forward';
import {
  checkSiteSession,
  clientIpOf,
  publicRoute,
  type SessionRefusal,
  type SiteSessionGate,
} from './site-session.gate';
import { isRefusal, tunnelCodeOf, tunnelFailure } from './tunnel-error-response';

export const INGRESS_PREFIX = '/t/';

function streamDone(s: TunnelStream): boolean {
  return s.state === 'closed' || s.state === 'reset';
}

function ignore(): void {}

/** A site hello is well under 2 KiB; an answer over this is not looked at. */
const HELLO_PEEK_MAX_BYTES = 16 * 1024;

function isHelloRequest(head: RequestHead): boolean {
  if (head.method !== 'POST') return false;
  const q = head.path.indexOf('?');
  return (q === -1 ? head.path : head.path.slice(0, q)) === SITE_HELLO_PATH;
}

/** Hands a copy of a small answer to `done` once it has passed; a larger one is not copied. */
function teeSmallBody(stream: TunnelStream, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (c: Buffer): void => {
    size += c.length;
    if (size > HELLO_PEEK_MAX_BYTES) stream.off('data', onData);
    else chunks.push(Buffer.from(c));
  };
  stream.on('data', onData);
  stream.once('end', () => {
    if (size <= HELLO_PEEK_MAX_BYTES) done(Buffer.concat(chunks, size));
  });
}

/** Default of `publicMaxBodyBytes`: a sign-in JWE (at most 8 KiB) with room to spare. */
export const DEFAULT_PUBLIC_MAX_BODY_BYTES = 16 * 1024;

/** Headers with the exact length of a body read whole (a chunked one had none); as is without one. */
function withContentLength(headers: string[], length: number | undefined): string[] {
  if (length === undefined) return headers;
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].toLowerCase() !== 'content-length') out.push(headers[i], headers[i + 1]);
  }
  out.push('Content-Length', String(length));
  return out;
}

/**
 * No Transfer-Encoding and no (or a zero) Content-Length. Read from the raw list: `req.headers`
 * is built lazily, and building it costs more than this loop on every request.
 */
function hasNoBody(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return false;
    if (name.length === 14 && name.toLowerCase() === 'content-length' && raw[i + 1].trim() !== '0') return false;
  }
  return true;
}

/**
 * stream → client response. Like pipe(), with backpressure, but every chunk that arrives in one
 * tick (often head, body and end of a small answer, or several DATA frames of a download) goes
 * to the socket in one write: the response is corked on the first chunk and uncorked on the
 * next tick. Fewer listeners than pipe(), and half the write syscalls.
 */
function forwardBody(stream: TunnelStream, res: ServerResponse): void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    res.uncork();
  };
  const onData = (chunk: Buffer): void => {
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    if (!res.write(chunk)) {
      stream.pause();
      res.once('drain', onDrain);
    }
  };
  const onDrain = (): void => {
    stream.resume();
  };
  stream.on('data', onData);
  stream.once('end', () => res.end());
  res.once('close', () => {
    stream.off('data', onData);
    res.off('drain', onDrain);
  });
}

/**
 * Client ingress: `/t/<orgSlug>/<rest>` is forwarded down a tunnel of that organization as
 * `/<rest>` (query kept), with X-Forwarded-Prefix `/t/<orgSlug>`.
 *
 * This is the hot path, so it is a plain Node (req, res) handler that runs before express:
 * no Nest, no per-request logging at info level, bodies streamed with backpressure, never
 * buffered.
 */
export class IngressHandler {
  private draining = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Upgraded client sockets live outside the http server's connection tracking. */
  private readonly upgradeSockets = new Set<Duplex>();
  private readonly log: Logger;
  /** Checks requests to `site-session` organisations; set once Nest is up (before listening). */
  private gate: SiteSessionGate | undefined;

  constructor(
    private readonly deps: {
      readonly registry: TunnelDirectory;
      readonly orgs: OrgSlugCache;
      readonly metrics: MetricsService;
      readonly logger: Logger;
      readonly publicProto: string;
      readonly headTimeoutMs: number;
      /**
       * Largest body of a request a `site-session` organisation admits without a token. Such a
       * body is read whole before a stream opens (default 16 KiB, enough for a sign-in JWE).
       */
      readonly publicMaxBodyBytes?: number;
      /** Other broker nodes of the cluster; undefined on a single node. */
      readonly peers?: PeerRouting;
    },
  ) {
    this.log = deps.logger.child({ component: 'ingress' });
  }

  useSiteSessionGate(gate: SiteSessionGate): void {
    this.gate = gate;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** New requests get 503 BROKER_DRAINING; in-flight ones continue. */
  drain(): void {
    this.draining = true;
  }

  /** Resolves true once nothing is in flight, false if `timeoutMs` passes first. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /** Hard stop after the drain deadline. */
  destroyAll(): void {
    for (const s of this.upgradeSockets) s.destroy();
  }

  private enter(emitter: ServerResponse | Duplex): void {
    this.inFlight++;
    emitter.once('close', () => {
      if (--this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  // ---- plain HTTP --------------------------------------------------------------------------

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.enter(res);
    req.on('error', ignore);
    if (this.draining) {
      this.reject(res, BrokerErrorCode.BROKER_DRAINING, 'broker is shutting down, retry', ['Connection', 'close']);
      return;
    }
    const peer = readPeerMark(req.rawHeaders, this.deps.peers?.secret);
    if (peer === 'refused') {
      this.refusePeer(req);
      this.reject(res, BrokerErrorCode.BROKER_PEER_REFUSED, 'the broker-peer headers are not valid here');
      return;
    }
    const target = parseIngressUrl(req.url ?? '/');
    if (!target) {
      this.reject(res, BrokerErrorCode.ORG_NOT_FOUND, 'no such organization');
      return;
    }
    const org = this.deps.orgs.get(target.orgSlug);
    if (org !== undefined) {
      this.route(req, res, target, org, peer);
      return;
    }
    this.deps.orgs.load(target.orgSlug).then(
      (loaded) => this.route(req, res, target, loaded, peer),
      (err: unknown) => this.failLookup(res, err, 'organization lookup failed', { orgSlug: target.orgSlug }),
    );
  }

  private route(
    req: IncomingMessage,
    res: ServerResponse,
    target: IngressTarget,
    org: IngressOrg | null,
    peer: PeerMark | undefined,
  ): void {
    if (org === null) {
      this.reject(res, BrokerErrorCode.ORG_NOT_FOUND, `no organization "${target.orgSlug}"`);
      return;
    }
    // A peer node forwards only what its own session check admitted.
    if (org.policy === 'open' || peer) {
      this.routeAdmitted(req, res, target, org.id, peer);
      return;
    }
    if (publicRoute(req.method ?? 'GET', target.path) === undefined) {
      this.admit(req, res, org.id, target.path, () => this.routeAdmitted(req, res, target, org.id, undefined));
      return;
    }
    // No token needed here, so nobody vouches for the body: it is bounded, and read whole before
    // a stream opens, so an oversized or endless body never reaches the site.
    const max = this.deps.publicMaxBodyBytes ?? DEFAULT_PUBLIC_MAX_BODY_BYTES;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      this.refuseLargeBody(req, res, org.id, target.path, max);
      return;
    }
    this.admit(req, res, org.id, target.path, () =>
      this.readPublicBody(req, res, max, org.id, target.path, (body) =>
        this.routeAdmitted(req, res, target, org.id, undefined, body),
      ),
    );
  }

  /** Reads a public route's body into memory, up to `max` bytes; over it, 413 and the connection closes. */
  private readPublicBody(
    req: IncomingMessage,
    res: ServerResponse,
    max: number,
    orgId: string,
    path: string,
    done: (body: Buffer | undefined) => void,
  ): void {
    if (req.readableEnded || hasNoBody(req)) {
      req.resume();
      done(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      res.off('close', stop);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      stop();
      req.pause();
      this.refuseLargeBody(req, res, orgId, path, max);
    };
    const onEnd = (): void => {
      stop();
      if (!res.destroyed) done(Buffer.concat(chunks, size));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    res.once('close', stop);
  }

  private refuseLargeBody(req: IncomingMessage, res: ServerResponse, orgId: string, path: string, max: number): void {
    const requestId = randomUUID();
    const q = path.indexOf('?');
    this.log.info(
      {
        requestId,
        code: BrokerErrorCode.PUBLIC_BODY_TOO_LARGE,
        orgId,
        method: req.method,
        path: q === -1 ? path : path.slice(0, q),
        clientIp: clientIpOf(req, this.gate?.trustProxyHops ?? 0),
      },
      'ingress request refused: body too large for a route without a token',
    );
    // The rest of the body is not read: the connection closes after the answer.
    this.reject(
      res,
      BrokerErrorCode.PUBLIC_BODY_TOO_LARGE,
      `the body of a request without a site access token may be at most ${max} bytes`,
      ['Connection', 'close'],
      requestId,
    );
  }

  /**
   * A `site-session` organisation: the session check first; `admitted` then opens the tunnel
   * stream. `client` is the response of a plain request or the socket of an upgrade.
   */
  private admit(
    req: IncomingMessage,
    client: ServerResponse | Duplex,
    orgId: string,
    path: string,
    admitted: () => void,
  ): void {
    const clientIp = clientIpOf(req, this.gate?.trustProxyHops ?? 0);
    const upgrade = !(client instanceof ServerResponse);
    this.checkSession(req, orgId, path, upgrade, clientIp).then(
      (refusal) => {
        if (client.destroyed) return;
        if (refusal) this.refuseSession(client, refusal, req, orgId, path, clientIp);
        else admitted();
      },
      (err: unknown) => this.failLookup(client, err, 'session check failed', { orgId }),
    );
  }

  /** `body`: the whole request body, already read (public routes); else the request streams. */
  private routeAdmitted(
    req: IncomingMessage,
    res: ServerResponse,
    target: IngressTarget,
    orgId: string,
    peer: PeerMark | undefined,
    body?: Buffer,
  ): void {
    const session = this.deps.registry.pick(orgId);
    if (!session) {
      if (this.deps.peers && !peer) this.routeToPeer(req, res, orgId, this.deps.peers, body);
      else this.reject(res, BrokerErrorCode.CONNECTOR_OFFLINE, 'no connector of this organization is online');
      return;
    }
    const headers = requestHeadersForTunnel(req.rawHeaders, {
      clientIp: peer ? peer.clientIp : req.socket.remoteAddress,
      proto: this.deps.publicProto,
      prefix: target.prefix,
      upgrade: false,
    });
    const head: RequestHead = {
      method: req.method ?? 'GET',
      path: target.path,
      headers: body ? withContentLength(headers, body.length) : headers,
    };
    this.forward(req, res, orgId, head, session, false, body);
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    orgId: string,
    head: RequestHead,
    session: TunnelSession,
    retried: boolean,
    body?: Buffer,
  ): void {
    let stream: TunnelStream;
    try {
      stream = session.openStream(head);
    } catch (err) {
      const code = tunnelCodeOf(err);
      const other = this.retryTarget(orgId, session, code, retried, true);
      if (other) this.forward(req, res, orgId, head, other, true, body);
      else this.failTunnel(res, code, err);
      return;
    }

    let answered = false;
    let headSent = false;
    let bodyStarted = false;
    const onBody = (): void => {
      bodyStarted = true;
    };
    const onClientClose = (): void => {
      clearTimeout(timer);
      answered = true;
      if (!res.writableFinished && !streamDone(stream)) stream.reset(TunnelErrorCode.CANCELLED, 'client went away');
    };
    const timer = setTimeout(() => {
      if (answered) return;
      answered = true;
      stream.reset(TunnelErrorCode.UPSTREAM_TIMEOUT, 'no response head in time');
      this.reject(res, BrokerErrorCode.INGRESS_TIMEOUT, 'the application did not answer in time');
    }, this.deps.headTimeoutMs);

    stream.on('error', () => {
      // Before the head, responseHead() reports the failure; after it, the client's response
      // is cut short and the only honest signal left is a broken connection.
      if (headSent && !res.writableFinished) res.destroy();
    });
    res.once('close', onClientClose);
    if (body) {
      // Read already, so it can be sent again to another connector.
      stream.end(body);
    } else if (req.readableEnded || hasNoBody(req)) {
      // Most requests (GET, HEAD, DELETE without a body) need no pipe at all: FIN rides on OPEN.
      stream.end();
      req.resume();
    } else {
      req.once('data', onBody);
      req.pipe(stream);
    }

    stream.responseHead().then(
      (rh) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        req.off('data', onBody);
        if (rh.status < 200 || rh.status > 599) {
          stream.reset(TunnelErrorCode.PROTOCOL, 'informational status on a plain request');
          this.failTunnel(res, TunnelErrorCode.PROTOCOL, undefined);
          return;
        }
        let headers = responseHeadersForClient(rh.headers, false);
        if (res.hasHeader('access-control-allow-origin')) headers = withoutSiteCorsHeaders(headers);
        if (this.draining) headers.push('Connection', 'close');
        try {
          res.writeHead(rh.status, rh.statusText, headers);
        } catch (err) {
          stream.reset(TunnelErrorCode.PROTOCOL, 'invalid response head');
          this.failTunnel(res, TunnelErrorCode.PROTOCOL, err);
          return;
        }
        headSent = true;
        this.deps.metrics.countIngress(rh.status);
        if (rh.status === 200 && this.gate?.observeSiteHello && isHelloRequest(head)) {
          teeSmallBody(stream, (body) => this.gate?.observeSiteHello?.(orgId, body));
        }
        forwardBody(stream, res);
      },
      (err: unknown) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        req.off('data', onBody);
        const code = tunnelCodeOf(err);
        const other = this.retryTarget(orgId, session, code, retried, !bodyStarted);
        if (other) {
          req.unpipe(stream);
          res.off('close', onClientClose);
          this.forward(req, res, orgId, head, other, true, body);
          return;
        }
        this.failTunnel(res, code, err);
      },
    );
  }

  // ---- WebSocket (and other) upgrades ----------------------------------------------------

  handleUpgrade(req: IncomingMessage, socket: Duplex, upgradeHead: Buffer): void {
    this.enter(socket);
    this.upgradeSockets.add(socket);
    socket.once('close', () => this.upgradeSockets.delete(socket));
    req.on('error', ignore);
    if (socket instanceof Socket) socket.setNoDelay(true);
    if (this.draining) {
      this.rejectSocket(socket, BrokerErrorCode.BROKER_DRAINING, 'broker is shutting down, retry');
      return;
    }
    const peer = readPeerMark(req.rawHeaders, this.deps.peers?.secret);
    if (peer === 'refused') {
      this.refusePeer(req);
      this.rejectSocket(socket, BrokerErrorCode.BROKER_PEER_REFUSED, 'the broker-peer headers are not valid here');
      return;
    }
    const target = parseIngressUrl(req.url ?? '/');
    if (!target) {
      this.rejectSocket(socket, BrokerErrorCode.ORG_NOT_FOUND, 'no such organization');
      return;
    }
    const admitted = (orgId: string): void => {
      const session = this.deps.registry.pick(orgId);
      if (!session) {
        if (this.deps.peers && !peer) this.upgradeToPeer(req, socket, upgradeHead, orgId, this.deps.peers);
        else
          this.rejectSocket(socket, BrokerErrorCode.CONNECTOR_OFFLINE, 'no connector of this organization is online');
        return;
      }
      const head: RequestHead = {
        method: req.method ?? 'GET',
        path: target.path,
        upgrade: true,
        headers: requestHeadersForTunnel(req.rawHeaders, {
          clientIp: peer ? peer.clientIp : req.socket.remoteAddress,
          proto: this.deps.publicProto,
          prefix: target.prefix,
          upgrade: true,
        }),
      };
      this.forwardUpgrade(socket, upgradeHead, orgId, head, session, false);
    };
    const run = (org: IngressOrg | null): void => {
      if (org === null) {
        this.rejectSocket(socket, BrokerErrorCode.ORG_NOT_FOUND, `no organization "${target.orgSlug}"`);
        return;
      }
      if (org.policy === 'open' || peer) {
        admitted(org.id);
        return;
      }
      this.admit(req, socket, org.id, target.path, () => admitted(org.id));
    };
    const cached = this.deps.orgs.get(target.orgSlug);
    if (cached !== undefined) {
      run(cached);
      return;
    }
    this.deps.orgs
      .load(target.orgSlug)
      .then(run, (err: unknown) =>
        this.failLookup(socket, err, 'organization lookup failed', { orgSlug: target.orgSlug }),
      );
  }

  private forwardUpgrade(
    socket: Duplex,
    upgradeHead: Buffer,
    orgId: string,
    head: RequestHead,
    session: TunnelSession,
    retried: boolean,
  ): void {
    let stream: TunnelStream;
    try {
      stream = session.openStream(head);
    } catch (err) {
      const code = tunnelCodeOf(err);
      const other = this.retryTarget(orgId, session, code, retried, true);
      if (other) this.forwardUpgrade(socket, upgradeHead, orgId, head, other, true);
      else this.failTunnelSocket(socket, code, err);
      return;
    }
    let answered = false;
    let piped = false;
    const onClientClose = (): void => {
      clearTimeout(timer);
      answered = true;
      if (!streamDone(stream)) stream.reset(TunnelErrorCode.CANCELLED, 'client went away');
    };
    const timer = setTimeout(() => {
      if (answered) return;
      answered = true;
      stream.reset(TunnelErrorCode.UPSTREAM_TIMEOUT, 'no response head in time');
      this.rejectSocket(socket, BrokerErrorCode.INGRESS_TIMEOUT, 'the application did not answer in time');
    }, this.deps.headTimeoutMs);
    stream.on('error', () => {
      if (piped) socket.destroy();
    });
    socket.once('close', onClientClose);
    // Bytes the client sent right after its request head belong to the upgraded protocol.
    if (upgradeHead.length > 0) stream.write(upgradeHead);

    stream.responseHead().then(
      (rh) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        const switching = rh.status === 101;
        let raw: string;
        try {
          raw = rawResponseHead(rh, responseHeadersForClient(rh.headers, switching), !switching);
        } catch (err) {
          stream.reset(TunnelErrorCode.PROTOCOL, 'invalid response head');
          this.failTunnelSocket(socket, TunnelErrorCode.PROTOCOL, err);
          return;
        }
        this.deps.metrics.countIngress(rh.status);
        piped = true;
        socket.write(raw);
        if (switching) socket.pipe(stream);
        else stream.end();
        stream.pipe(socket);
      },
      (err: unknown) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        const code = tunnelCodeOf(err);
        const other = this.retryTarget(orgId, session, code, retried, upgradeHead.length === 0);
        if (other) {
          socket.off('close', onClientClose);
          this.forwardUpgrade(socket, upgradeHead, orgId, head, other, true);
          return;
        }
        this.failTunnelSocket(socket, code, err);
      },
    );
  }

  /**
   * Where a refused request may go instead: a draining or full connector refused it before doing
   * anything, so it moves once to another live session of the organization, but only while none
   * of its body has gone out (it could not be replayed).
   */
  private retryTarget(
    orgId: string,
    refusedBy: TunnelSession,
    code: TunnelErrorCode,
    retried: boolean,
    untouched: boolean,
  ): TunnelSession | undefined {
    return !retried && untouched && isRefusal(code) ? this.deps.registry.pick(orgId, refusedBy) : undefined;
  }

  // ---- other broker nodes ------------------------------------------------------------------

  private refusePeer(req: IncomingMessage): void {
    this.log.warn(
      // Metadata only: never a header value or the query (it may carry a token).
      { clientIp: req.socket.remoteAddress, method: req.method, path: (req.url ?? '/').split('?')[0].slice(0, 200) },
      'ingress request with invalid broker-peer headers refused',
    );
  }

  /**
   * No tunnel of the organisation here: forwards the request to a node that holds one. Answers
   * the client itself when there is none (503 CONNECTOR_OFFLINE), when the node does not answer
   * (502 BROKER_PEER_UNREACHABLE) or not in time (504 INGRESS_TIMEOUT); `wire` relays the
   * node's answer, after taking it with `answer()` (false: the timeout or an error took it).
   */
  private toPeer(
    req: IncomingMessage,
    client: ServerResponse | Duplex,
    orgId: string,
    peers: PeerRouting,
    upgrade: boolean,
    body: Buffer | undefined,
    wire: (preq: ClientRequest, answer: () => boolean) => void,
  ): void {
    void peers.find(orgId).then((node) => {
      if (client.destroyed) return;
      if (node === undefined) {
        this.refuse(client, BrokerErrorCode.CONNECTOR_OFFLINE, 'no connector of this organization is online');
        return;
      }
      const url = new URL(req.url ?? '/', node);
      const https = url.protocol === 'https:';
      const preq = (https ? httpsRequest : httpRequest)(url, {
        method: req.method,
        headers: withContentLength(
          peerRequestHeaders(req.rawHeaders, {
            secret: peers.secret,
            clientIp: req.socket.remoteAddress,
            upgrade,
            host: url.host,
          }),
          body?.length,
        ),
        // An upgraded connection is the client's alone; plain requests reuse connections.
        agent: upgrade ? false : https ? peerAgents.https : peerAgents.http,
      });
      let answered = false;
      const timer = setTimeout(() => {
        if (answered) return;
        answered = true;
        preq.destroy();
        this.deps.metrics.countPeerForward('timeout');
        this.refuse(client, BrokerErrorCode.INGRESS_TIMEOUT, 'the application did not answer in time');
      }, this.deps.headTimeoutMs);
      const answer = (): boolean => {
        if (answered) return false;
        answered = true;
        clearTimeout(timer);
        this.deps.metrics.countPeerForward('answered');
        return true;
      };
      preq.on('error', (err) => {
        if (answered) {
          client.destroy();
          return;
        }
        answered = true;
        clearTimeout(timer);
        this.deps.metrics.countPeerForward('unreachable');
        peers.forget(orgId);
        const requestId = randomUUID();
        this.log.warn({ err, requestId, orgId, node, upgrade }, 'broker peer did not answer');
        this.refuse(
          client,
          BrokerErrorCode.BROKER_PEER_UNREACHABLE,
          'the broker node of this site did not answer',
          requestId,
        );
      });
      client.once('close', () => {
        clearTimeout(timer);
        if (!client.writableFinished) preq.destroy();
      });
      wire(preq, answer);
    });
  }

  private routeToPeer(
    req: IncomingMessage,
    res: ServerResponse,
    orgId: string,
    peers: PeerRouting,
    body?: Buffer,
  ): void {
    this.toPeer(req, res, orgId, peers, false, body, (preq, answer) => {
      preq.on('response', (pres) => {
        if (!answer()) {
          pres.destroy();
          return;
        }
        let headers = responseHeadersForClient(pres.rawHeaders, false);
        // This node applied the cluster's CORS policy already; the peer's copy would repeat it.
        if (res.hasHeader('access-control-allow-origin')) headers = withoutSiteCorsHeaders(headers);
        if (this.draining) headers.push('Connection', 'close');
        const status = pres.statusCode ?? 502;
        res.writeHead(status, pres.statusMessage, headers);
        this.deps.metrics.countIngress(status);
        pres.on('error', () => res.destroy());
        pres.pipe(res);
      });
      if (body) preq.end(body);
      else if (req.readableEnded || hasNoBody(req)) {
        preq.end();
        req.resume();
      } else {
        req.pipe(preq);
      }
    });
  }

  private upgradeToPeer(
    req: IncomingMessage,
    socket: Duplex,
    upgradeHead: Buffer,
    orgId: string,
    peers: PeerRouting,
  ): void {
    this.toPeer(req, socket, orgId, peers, true, undefined, (preq, answer) => {
      preq.on('upgrade', (pres, psocket, phead) => {
        if (!answer()) {
          psocket.destroy();
          return;
        }
        this.deps.metrics.countIngress(101);
        const head = { status: 101, statusText: pres.statusMessage, headers: [] };
        socket.write(rawResponseHead(head, responseHeadersForClient(pres.rawHeaders, true), false));
        if (phead.length > 0) socket.write(phead);
        if (upgradeHead.length > 0) psocket.write(upgradeHead);
        psocket.on('error', () => socket.destroy());
        socket.on('error', () => psocket.destroy());
        psocket.once('close', () => socket.destroy());
        socket.once('close', () => psocket.destroy());
        psocket.pipe(socket);
        socket.pipe(psocket);
      });
      preq.on('response', (pres) => {
        if (!answer()) {
          pres.destroy();
          return;
        }
        const status = pres.statusCode ?? 502;
        this.deps.metrics.countIngress(status);
        const head = { status, statusText: pres.statusMessage, headers: [] };
        socket.write(rawResponseHead(head, responseHeadersForClient(pres.rawHeaders, false), true));
        pres.on('error', () => socket.destroy());
        pres.pipe(socket);
      });
      preq.end();
    });
  }

  // ---- site sessions -----------------------------------------------------------------------

  private checkSession(
    req: IncomingMessage,
    orgId: string,
    path: string,
    upgrade: boolean,
    clientIp: string,
  ): Promise<SessionRefusal | undefined> {
    if (!this.gate) {
      return Promise.resolve({
        code: BrokerErrorCode.SITE_KEY_UNAVAILABLE,
        message: 'the broker is starting; retry shortly',
        reason: 'starting',
        headers: ['Retry-After', '1'],
      });
    }
    return checkSiteSession(this.gate, req, orgId, path, upgrade, clientIp);
  }

  /** One log line with request metadata only: never a header value, a token or the query. */
  private logRefusal(
    refusal: SessionRefusal,
    requestId: string,
    req: IncomingMessage,
    orgId: string,
    path: string,
    clientIp: string,
  ): void {
    const q = path.indexOf('?');
    this.log.info(
      {
        requestId,
        code: refusal.code,
        status: BROKER_ERROR_STATUS[refusal.code],
        reason: refusal.reason,
        orgId,
        method: req.method,
        path: q === -1 ? path : path.slice(0, q),
        clientIp,
      },
      'ingress request refused by the session check',
    );
  }

  /** Answers a refused session check on a plain request (a ServerResponse) or an upgrade (its socket). */
  private refuseSession(
    target: ServerResponse | Duplex,
    refusal: SessionRefusal,
    req: IncomingMessage,
    orgId: string,
    path: string,
    clientIp: string,
  ): void {
    const requestId = randomUUID();
    this.logRefusal(refusal, requestId, req, orgId, path, clientIp);
    const status = BROKER_ERROR_STATUS[refusal.code];
    this.deps.metrics.countIngress(status);
    const body = { code: refusal.code, message: refusal.message, requestId };
    if (target instanceof ServerResponse) sendJsonError(target, status, body, refusal.headers);
    else writeSocketError(target, status, body, refusal.headers);
  }

  // ---- errors ------------------------------------------------------------------------------

  private reject(
    res: ServerResponse,
    code: BrokerErrorCode,
    message: string,
    extraHeaders?: string[],
    requestId: string = randomUUID(),
  ): void {
    const status = BROKER_ERROR_STATUS[code];
    this.deps.metrics.countIngress(status);
    if (code !== BrokerErrorCode.ORG_NOT_FOUND) this.log.debug({ requestId, code, status }, 'ingress request refused');
    sendJsonError(res, status, { code, message, requestId }, extraHeaders);
  }

  /** `reject` for a plain request (its response), `rejectSocket` for an upgrade (its socket). */
  private refuse(
    client: ServerResponse | Duplex,
    code: BrokerErrorCode,
    message: string,
    requestId?: string,
    extraHeaders?: string[],
  ): void {
    if (client instanceof ServerResponse) this.reject(client, code, message, extraHeaders, requestId);
    else this.rejectSocket(client, code, message, requestId, extraHeaders);
  }

  private rejectSocket(
    socket: Duplex,
    code: BrokerErrorCode,
    message: string,
    requestId: string = randomUUID(),
    extraHeaders?: string[],
  ): void {
    const status = BROKER_ERROR_STATUS[code];
    this.deps.metrics.countIngress(status);
    writeSocketError(socket, status, { code, message, requestId }, extraHeaders);
  }

  /**
   * The organisation lookup or the session check failed. With the database away that is 503
   * with Retry-After, which clients retry (the SDK retries 503, not 500); anything else is ours.
   */
  private failLookup(client: ServerResponse | Duplex, err: unknown, what: string, ctx: Record<string, string>): void {
    const requestId = randomUUID();
    if (isDatabaseUnavailable(err)) {
      this.log.warn({ err, requestId, ...ctx }, `${what}: the database is unavailable`);
      this.refuse(
        client,
        BrokerErrorCode.DATABASE_UNAVAILABLE,
        'the broker cannot reach its database; retry shortly',
        requestId,
        ['Retry-After', String(DATABASE_RETRY_AFTER_S)],
      );
      return;
    }
    this.log.error({ err, requestId, ...ctx }, what);
    this.refuse(client, BrokerErrorCode.INTERNAL, 'internal error', requestId);
  }

  private failTunnel(res: ServerResponse, code: TunnelErrorCode, err: unknown): void {
    if (res.destroyed) return;
    const { status, message } = tunnelFailure(code);
    const requestId = randomUUID();
    this.deps.metrics.countIngress(status);
    this.log.warn({ requestId, code, status, err }, 'ingress request failed in the tunnel');
    sendJsonError(res, status, { code, message, requestId });
  }

  private failTunnelSocket(socket: Duplex, code: TunnelErrorCode, err: unknown): void {
    const { status, message } = tunnelFailure(code);
    const requestId = randomUUID();
    this.deps.metrics.countIngress(status);
    this.log.warn({ requestId, code, status, err }, 'ingress upgrade failed in the tunnel');
    writeSocketError(socket, status, { code, message, requestId });
  }
}

/** Status line and headers for a raw socket; throws on characters that would split the response. */
function rawResponseHead(rh: ResponseHead, headers: readonly string[], close: boolean): string {
  const reason = rh.statusText ?? STATUS_CODES[rh.status] ?? '';
  if (!Number.isInteger(rh.status) || rh.status < 100 || rh.status > 599 || /[\r\n]/.test(reason)) {
    throw new RangeError('invalid status');
  }
  let out = `HTTP/1.1 ${rh.status} ${reason}\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    validateHeaderName(headers[i]);
    validateHeaderValue(headers[i], headers[i + 1]);
    out += `${headers[i]}: ${headers[i + 1]}\r\n`;
  }
  if (close) out += 'Connection: close\r\n';
  return out + '\r\n';
}
