/**
 * MessageTransport over a `ws` WebSocket (either end). Wrap the socket once it is open (or
 * still connecting: the TCP options are applied on 'open'). Sets TCP_NODELAY, since the session
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

export function wsTransport(ws: WebSocket): MessageTransport {
  let onMessage: ((m: Buffer) => void) | undefined;
  let onClose: ((code: number, reason: string) => void) | undefined;
  let onDrain: (() => void) | undefined;
  let socket: Socket | undefined;

  const attach = (): void => {
    socket = (ws as unknown as { _socket?: Socket })._socket;
    if (!socket) return;
    socket.setNoDelay(true);
    socket.on('drain', () => onDrain?.());
  };
  if (ws.readyState === WebSocket.OPEN) attach();
  else ws.once('open', attach);

  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      if (ws.readyState === WebSocket.OPEN) ws.close(wireCloseCode(TunnelErrorCode.PROTOCOL), TunnelErrorCode.PROTOCOL);
      return;
    }
    onMessage?.(toBuffer(data));
  });
  ws.on('close', (code: number, reason: Buffer) => onClose?.(code, reason.toString('utf8')));
  ws.on('error', () => undefined);

  return {
    get bufferedAmount(): number {
      return ws.bufferedAmount;
    },
    get remoteAddress(): string | undefined {
      return socket?.remoteAddress;
    },
    send(message: Buffer): void {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(message);
    },
    sendParts(parts: readonly Buffer[]): void {
      if (ws.readyState !== WebSocket.OPEN) return;
      // Fragments of one binary message: the parts reach the socket as they are (no copy).
      const last = parts.length - 1;
      for (let i = 0; i <= last; i++) ws.send(parts[i], { binary: true, fin: i === last });
    },
    close(code: number, reason: string): void {
      if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
      const r = Buffer.from(reason, 'utf8');
      const text = r.length > 123 ? r.subarray(0, 123).toString('utf8') : reason;
      try {
        ws.close(isSendableCloseCode(code) ? code : 1011, text);
      } catch {
        ws.terminate();
      }
    },
    terminate(): void {
      ws.terminate();
    },
    onMessage(handler): void {
      onMessage = handler;
    },
    onClose(handler): void {
      onClose = handler;
    },
    onDrain(handler): void {
      onDrain = handler;
    },
  };
}
