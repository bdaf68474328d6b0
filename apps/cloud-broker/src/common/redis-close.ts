import type { Redis } from 'ioredis';

/** Waits for `work` at most `ms`; its failure is not this caller's concern (it is shutting down). */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * Ends an ioredis client without hanging on a Redis that is not there: QUIT (at most `ms`) when
 * connected, then drop the socket. A client that is reconnecting would otherwise keep the
 * process's shutdown waiting.
 */
export async function closeRedis(client: Redis | undefined, ms = 2000): Promise<void> {
  if (!client || client.status === 'end') return;
  if (client.status === 'ready') await settleWithin(client.quit(), ms);
  // `quit` may have ended it meanwhile (TypeScript keeps the narrowed status from above).
  if ((client.status as string) !== 'end') client.disconnect();
}
