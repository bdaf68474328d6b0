/**
 * MessageTransport over a `ws` WebSocket (either end). Wrap the socket as soon as it exists
 * (right after `new WebSocket(...)`; the TCP options are applied on 'open'): a peer that speaks
 * first can deliver its message in the same read as the 101 response, and messages are only
 * kept (until a handler is set) from the moment the socket is wrapped. Sets TCP_NODELAY, since the session
 * coalesces frames itself. Text messages are a protocol violation: the socket is closed with
 * 4400 TUNNEL_ERR_PROTOCOL. The 'error' event is consumed here (ws always follows it with
 * 'close', which is what the session acts on), so a broken socket cannot crash the process.
 *
 * For speed a client may be created with `generateMask: (m) => m.fill(0)` (ws then skips the
 * masking pass) and `perMessageDeflate: false`; a server should set `maxPayload` to the
 * session's maxMessageBytes and `perMessageDeflate: false`.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { MessageTransport } from '../api';
import { wireCloseCode, TunnelErrorCode } from '../errors';

function isSendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  );
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Messages kept while no handler is set; a well-behaved peer sends one (HELLO or AUTH). */
const MAX_EARLY_MESSAGES = 16;

/**
 * A class rather than an object literal: V8 keeps an object literal with a getter in dictionary
 * mode (about 470 bytes of property dictionary, plus a closure per method), and a broker holds
 * one transport per connected connector.
 */
class WsTransport implements MessageTransport {
  private messageHandler: ((m: Buffer) => void) | undefined;
  private readonly early: Buffer[] = [];
  private closeHandler: ((code: number, reason: string) => void) | undefined;
  private drainHandler: (() => void) | undefined;
  private socket: Socket | undefined;

  constructor(private readonly ws: WebSocket) {
    if (ws.readyState === WebSocket.OPEN) this.attach();
    else ws.once('open', () => this.attach());
    ws.on('message', (data, isBinary) => this.received(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.closeHandler?.(code, reason.toString('utf8')));
    ws.on('error', () => undefined);
  }

  private attach(): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (!socket) return;
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('drain', () => this.drainHandler?.());
  }

  private received(data: WebSocket.RawData, isBinary: boolean): void {
    const ws = this.ws;
    if (!isBinary) {
      if (ws.readyState === WebSocket.OPEN) ws.close(wireCloseCode(TunnelErrorCode.PROTOCOL), TunnelErrorCode.PROTOCOL);
      return;
    }
    const message = toBuffer(data);
    if (this.messageHandler) this.messageHandler(message);
    // No handler yet (the caller wraps the socket after 'open', but HELLO can arrive in the same
    // read as the 101): keep it for the handler instead of losing it. Bounded by the handshake.
    else if (this.early.length < MAX_EARLY_MESSAGES) this.early.push(message);
    else ws.terminate();
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }

  send(message: Buffer, onSent?: () => void): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) {
      onSent?.();
      return;
    }
    // ws calls back once the bytes were written to the socket, or failed to be.
    if (onSent) ws.send(message, () => onSent());
    else ws.send(message);
  }

  close(code: number, reason: string): void {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
    const r = Buffer.from(reason, 'utf8');
    const text = r.length > 123 ? r.subarray(0, 123).toString('utf8') : reason;
    try {
      ws.close(isSendableCloseCode(code) ? code : 1011, text);
    } catch {
      ws.terminate();
    }
  }

  terminate(): void {
    this.ws.terminate();
  }

  onMessage(handler: (message: Buffer) => void): void {
    this.messageHandler = handler;
    while (this.early.length > 0 && this.messageHandler === handler) handler(this.early.shift() as Buffer);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closeHandler = handler;
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }
}

export function wsTransport(ws: WebSocket): MessageTransport {
  return new WsTransport(ws);
}
