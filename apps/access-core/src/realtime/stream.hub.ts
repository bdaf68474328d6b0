import { Injectable } from '@nestjs/common';
import type { Principal, Role } from '../auth/principal';

/** One JSON message on the stream; `type` names it (see stream.gateway.ts). */
export interface StreamMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface StreamClient {
  readonly principal: Principal | undefined;
  send(message: StreamMessage): void;
}

/** Who receives a message: everyone of `roles`, and/or the personnel users in `personIds`. */
export interface Audience {
  readonly roles?: readonly Role[];
  readonly personIds?: readonly string[];
}

/** The authenticated stream connections, and delivery filtered by the receiver's rights. */
@Injectable()
export class StreamHub {
  private readonly clients = new Set<StreamClient>();

  add(client: StreamClient): void {
    this.clients.add(client);
  }

  remove(client: StreamClient): void {
    this.clients.delete(client);
  }

  /** Sends to every matching client; returns how many got it. */
  publish(audience: Audience, message: StreamMessage): number {
    const people = audience.personIds ? new Set(audience.personIds) : undefined;
    let n = 0;
    for (const c of this.clients) {
      const p = c.principal;
      if (!p) continue;
      const byRole = audience.roles?.includes(p.role) ?? false;
      const byPerson = p.role === 'personnel' && (people?.has(p.subjectId) ?? false);
      if (byRole || byPerson) {
        c.send(message);
        n += 1;
      }
    }
    return n;
  }

  get size(): number {
    return this.clients.size;
  }
}
