/**
 * An in-memory MessageTransport pair for tests and in-process wiring. Delivery is asynchronous
 * (setImmediate, in order, batched per turn) so it behaves like a socket: `send()` returns at
 * once, `bufferedAmount` counts bytes not yet delivered, and the drain handler runs when
 * everything queued has been delivered. Messages are passed by reference; lent ones (`onSent`)
 * are copied first.
 */
import type { MessageTransport } from '../api';

type MessageHandler = (message: Buffer) => void;
type CloseHandler = (code: number, reason: string) => void;

class MemoryEnd implements MessageTransport {
  peer!: MemoryEnd;
  readonly remoteAddress = 'memory';
  private queue: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  /** No more sends accepted (close started on either side). */
  private closed = false;
  /** onClose already reported. */
  private finished = false;
  private messageHandler: MessageHandler | undefined;
  private closeHandler: CloseHandler | undefined;
  private drainHandler: (() => void) | undefined;

  get bufferedAmount(): number {
    return this.queued;
  }

  send(message: Buffer, onSent?: () => void): void {
    if (this.closed) {
      onSent?.();
      return;
    }
    // A lent message is copied: the peer session keeps slices of what it receives.
    if (onSent) {
      message = Buffer.from(message);
      onSent();
    }
    this.queue.push(message);
    this.queued += message.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.deliver());
    }
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.peer.closed = true;
    // Like a WebSocket close frame: it travels behind the messages already sent.
    setImmediate(() => {
      this.deliver();
      this.peer.finish(code, reason);
      this.finish(code, reason);
    });
  }

  terminate(): void {
    if (this.finished) return;
    this.closed = true;
    this.peer.closed = true;
    this.queue = [];
    this.queued = 0;
    setImmediate(() => {
      this.peer.finish(1006, '');
      this.finish(1006, '');
    });
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  onClose(handler: CloseHandler): void {
    this.closeHandler = handler;
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }

  private deliver(): void {
    this.scheduled = false;
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    for (const m of q) {
      this.queued -= m.length;
      if (!this.peer.finished) this.peer.messageHandler?.(m);
    }
    if (this.queued === 0 && !this.finished) this.drainHandler?.();
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.closeHandler?.(code, reason);
  }
}

/** Two connected ends: what one sends, the other receives. */
export function memoryTransportPair(): [MessageTransport, MessageTransport] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
