/**
 * Connector authentication (SPEC.md §10): HELLO (broker) → AUTH (connector) → READY (broker).
 * The connector proves possession of its Ed25519 key by signing the broker's fresh nonce.
 * Both functions own the transport's handlers until they settle; on success they leave a backlog
 * collector in place that `createSession()` takes over (frames right behind READY are kept).
 */
import { randomBytes, randomUUID, sign, verify } from 'node:crypto';
import type {
  AuthPayload,
  BrokerHandshakeOptions,
  BrokerHandshakeResult,
  ConnectorHandshakeOptions,
  HelloPayload,
  MessageTransport,
  ReadyPayload,
} from './api';
import { PROTOCOL_VERSIONS } from './api';
import { startBacklog } from './backlog';
import { FrameType, FRAME_TYPE_NAMES, encodeJsonFrame, decodeFrames, isDecodeError } from './codec';
import { defaultTunnelConfig } from './config';
import { TunnelError, TunnelErrorCode, codeFromCloseFrame, wireCloseCode } from './errors';

/** Default largest |AUTH.ts − broker clock|. */
export const DEFAULT_MAX_SKEW_MS = 30_000;
/** Prefix of the Ed25519 signing input; versioned so a signature can never be reused elsewhere. */
export const AUTH_SIGNING_CONTEXT = 'lanbridge-tunnel-auth-v1';

/** The exact bytes the connector signs: UTF-8 of `lanbridge-tunnel-auth-v1\n<id>\n<nonce>\n<ts>`. */
export function authSigningInput(connectorId: string, nonce: string, ts: number): Buffer {
  return Buffer.from(`${AUTH_SIGNING_CONTEXT}\n${connectorId}\n${nonce}\n${ts}`, 'utf8');
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Exactly one JSON frame of `type` on stream 0, or a description of what is wrong. */
function readSingleJson(message: Buffer, type: FrameType): Record<string, unknown> | string {
  const frames = decodeFrames(message, defaultTunnelConfig().maxFramePayload);
  if (isDecodeError(frames)) return frames.message;
  if (frames.length !== 1) return `expected one ${FRAME_TYPE_NAMES[type]} frame, got ${frames.length} frames`;
  const f = frames[0];
  if (f.type !== type || f.streamId !== 0) {
    return `expected ${FRAME_TYPE_NAMES[type]} on stream 0, got ${FRAME_TYPE_NAMES[f.type]} on stream ${f.streamId}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(f.payload.toString('utf8'));
  } catch {
    return `${FRAME_TYPE_NAMES[type]} payload is not JSON`;
  }
  return record(parsed) ?? `${FRAME_TYPE_NAMES[type]} payload is not a JSON object`;
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function parseAuth(o: Record<string, unknown>): AuthPayload | undefined {
  const agent = record(o.agent);
  if (!isNum(o.version) || !isStr(o.connectorId) || !isStr(o.nonce) || !isNum(o.ts) || !isStr(o.signature)) {
    return undefined;
  }
  if (!agent || typeof agent.version !== 'string' || typeof agent.hostname !== 'string') return undefined;
  return {
    version: o.version,
    connectorId: o.connectorId,
    nonce: o.nonce,
    ts: o.ts,
    signature: o.signature,
    agent: { version: agent.version, hostname: agent.hostname },
  };
}

function parseHello(o: Record<string, unknown>): HelloPayload | undefined {
  if (!Array.isArray(o.versions) || !o.versions.every(isNum) || !isStr(o.nonce) || !isNum(o.ts)) return undefined;
  if (typeof o.node !== 'string') return undefined;
  return { versions: o.versions, nonce: o.nonce, ts: o.ts, node: o.node };
}

function parseReady(o: Record<string, unknown>): ReadyPayload | undefined {
  if (!isStr(o.sessionId) || !isNum(o.version) || !isStr(o.connectorId) || typeof o.orgId !== 'string') {
    return undefined;
  }
  return { sessionId: o.sessionId, version: o.version, connectorId: o.connectorId, orgId: o.orgId };
}

/**
 * Shared skeleton: a promise that settles once, a timeout, and closing the transport with the
 * code's close number (reason = the code string) on failure.
 */
function runHandshake<T>(
  transport: MessageTransport,
  timeoutMs: number,
  body: (ctl: { succeed(v: T): void; fail(code: TunnelErrorCode, message: string, cause?: unknown): void }) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      ctl.fail(TunnelErrorCode.TIMEOUT, `handshake not completed within ${timeoutMs} ms`);
    }, timeoutMs);
    timer.unref();
    const ctl = {
      succeed(v: T): void {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(v);
      },
      fail(code: TunnelErrorCode, message: string, cause?: unknown): void {
        if (done) return;
        done = true;
        clearTimeout(timer);
        transport.onMessage(() => undefined);
        transport.close(wireCloseCode(code), code);
        reject(new TunnelError(code, message, cause === undefined ? undefined : { cause }));
      },
    };
    transport.onClose((code, reason) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const tcode = codeFromCloseFrame(code, reason) ?? TunnelErrorCode.CONNECTION_LOST;
      reject(new TunnelError(tcode, `transport closed during handshake (${code} ${reason})`));
    });
    transport.onDrain(() => undefined);
    body(ctl);
  });
}

/**
 * Broker side: send HELLO, check AUTH, send READY. On failure the transport is closed with the
 * error's close code and the code string as reason, and the promise rejects with TunnelError.
 * If `lookup` throws a TunnelError (e.g. REVOKED), its code is used; any other throw → INTERNAL.
 */
export function brokerHandshake(
  transport: MessageTransport,
  opts: BrokerHandshakeOptions,
): Promise<BrokerHandshakeResult> {
  const timeoutMs = opts.timeoutMs ?? defaultTunnelConfig().handshakeTimeoutMs;
  const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  return runHandshake<BrokerHandshakeResult>(transport, timeoutMs, (ctl) => {
    const nonce = randomBytes(32).toString('base64url');
    let gotAuth = false;

    const check = async (auth: AuthPayload): Promise<void> => {
      if (!(PROTOCOL_VERSIONS as readonly number[]).includes(auth.version)) {
        return ctl.fail(TunnelErrorCode.VERSION, `protocol version ${auth.version} not supported`);
      }
      if (auth.nonce !== nonce) {
        return ctl.fail(TunnelErrorCode.AUTH_STALE, 'AUTH answers a different HELLO (replayed or stale)');
      }
      const skew = Math.abs(auth.ts - Date.now());
      if (skew > maxSkewMs) {
        return ctl.fail(TunnelErrorCode.AUTH_STALE, `AUTH timestamp off by ${skew} ms (limit ${maxSkewMs})`);
      }
      let entry: Awaited<ReturnType<BrokerHandshakeOptions['lookup']>>;
      try {
        entry = await opts.lookup(auth.connectorId);
      } catch (e) {
        if (e instanceof TunnelError) return ctl.fail(e.code, e.message, e);
        return ctl.fail(TunnelErrorCode.INTERNAL, 'connector lookup failed', e);
      }
      if (!entry) return ctl.fail(TunnelErrorCode.AUTH_FAILED, 'unknown connector');
      let ok = false;
      try {
        const signature = Buffer.from(auth.signature, 'base64url');
        const input = authSigningInput(auth.connectorId, auth.nonce, auth.ts);
        ok = verify(null, input, entry.publicKey, signature);
      } catch {
        ok = false;
      }
      if (!ok) return ctl.fail(TunnelErrorCode.AUTH_FAILED, 'signature does not verify');
      const ready: ReadyPayload = {
        sessionId: opts.newSessionId ? opts.newSessionId() : randomUUID(),
        version: auth.version,
        connectorId: auth.connectorId,
        orgId: entry.orgId,
      };
      // Take over the transport before READY goes out, so nothing sent right behind it is lost.
      startBacklog(transport);
      transport.send(encodeJsonFrame(FrameType.READY, 0, 0, ready));
      ctl.succeed({ auth, ready });
    };

    transport.onMessage((message) => {
      if (gotAuth) {
        ctl.fail(TunnelErrorCode.PROTOCOL, 'frame received before READY');
        return;
      }
      gotAuth = true;
      const o = readSingleJson(message, FrameType.AUTH);
      if (typeof o === 'string') return ctl.fail(TunnelErrorCode.PROTOCOL, o);
      const auth = parseAuth(o);
      if (!auth) return ctl.fail(TunnelErrorCode.PROTOCOL, 'malformed AUTH payload');
      check(auth).catch((e: unknown) => ctl.fail(TunnelErrorCode.INTERNAL, 'handshake failed', e));
    });

    const hello: HelloPayload = { versions: [...PROTOCOL_VERSIONS], nonce, ts: Date.now(), node: opts.node };
    transport.send(encodeJsonFrame(FrameType.HELLO, 0, 0, hello));
  });
}

/**
 * Connector side: wait for HELLO, answer AUTH, wait for READY. Rejects with the broker's code
 * when it closes the transport (e.g. AUTH_FAILED on 4401), VERSION when there is no common
 * version (the transport is then closed with 4426), TIMEOUT after `timeoutMs`.
 */
export function connectorHandshake(
  transport: MessageTransport,
  opts: ConnectorHandshakeOptions,
): Promise<ReadyPayload> {
  const timeoutMs = opts.timeoutMs ?? defaultTunnelConfig().handshakeTimeoutMs;
  return runHandshake<ReadyPayload>(transport, timeoutMs, (ctl) => {
    let step: 'hello' | 'ready' = 'hello';
    transport.onMessage((message) => {
      if (step === 'hello') {
        const o = readSingleJson(message, FrameType.HELLO);
        if (typeof o === 'string') return ctl.fail(TunnelErrorCode.PROTOCOL, o);
        const hello = parseHello(o);
        if (!hello) return ctl.fail(TunnelErrorCode.PROTOCOL, 'malformed HELLO payload');
        const version = PROTOCOL_VERSIONS.find((v) => hello.versions.includes(v));
        if (version === undefined) {
          return ctl.fail(
            TunnelErrorCode.VERSION,
            `no common protocol version (broker offers ${hello.versions.join(',')})`,
          );
        }
        const ts = Date.now();
        let signature: string;
        try {
          signature = sign(null, authSigningInput(opts.connectorId, hello.nonce, ts), opts.privateKey).toString(
            'base64url',
          );
        } catch (e) {
          return ctl.fail(TunnelErrorCode.INTERNAL, 'signing failed (is the key Ed25519?)', e);
        }
        const auth: AuthPayload = {
          version,
          connectorId: opts.connectorId,
          nonce: hello.nonce,
          ts,
          signature,
          agent: opts.agent,
        };
        step = 'ready';
        transport.send(encodeJsonFrame(FrameType.AUTH, 0, 0, auth));
        return;
      }
      const o = readSingleJson(message, FrameType.READY);
      if (typeof o === 'string') return ctl.fail(TunnelErrorCode.PROTOCOL, o);
      const ready = parseReady(o);
      if (!ready) return ctl.fail(TunnelErrorCode.PROTOCOL, 'malformed READY payload');
      startBacklog(transport);
      ctl.succeed(ready);
    });
  });
}
