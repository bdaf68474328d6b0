/**
 * Hand-over between the handshake and the session. A peer may put frames right behind HELLO or
 * READY (the same TCP segment can carry both WebSocket messages, and ws delivers them in one
 * go), before the application has called `createSession()`. The handshake therefore leaves a
 * backlog collector on the transport; `createSession()` takes it over and replays it in order.
 */
import type { MessageTransport } from './api';

/** More than this many bytes waiting for a session that is never created: the tunnel is closed. */
const BACKLOG_LIMIT_BYTES = 32 * 1024 * 1024;

export interface Backlog {
  readonly messages: Buffer[];
  bytes: number;
  closed: { code: number; reason: string } | undefined;
}

const backlogs = new WeakMap<MessageTransport, Backlog>();

export function startBacklog(transport: MessageTransport): void {
  const b: Backlog = { messages: [], bytes: 0, closed: undefined };
  backlogs.set(transport, b);
  transport.onMessage((m) => {
    if (b.closed) return;
    b.messages.push(m);
    b.bytes += m.length;
    if (b.bytes > BACKLOG_LIMIT_BYTES) {
      b.messages.length = 0;
      transport.close(4400, 'TUNNEL_ERR_PROTOCOL');
    }
  });
  transport.onClose((code, reason) => {
    b.closed ??= { code, reason };
  });
  transport.onDrain(() => undefined);
}

export function takeBacklog(transport: MessageTransport): Backlog | undefined {
  const b = backlogs.get(transport);
  backlogs.delete(transport);
  return b;
}
