import type { IncomingMessage } from 'node:http';

/** The parts of Express's request that access-core reads (no @types/express in the tree). */
export interface AccessCoreRequest extends IncomingMessage {
  requestId?: string;
  /** Client address; X-Forwarded-For is honoured only from loopback (trust proxy = loopback). */
  readonly ip?: string;
  readonly originalUrl?: string;
}
