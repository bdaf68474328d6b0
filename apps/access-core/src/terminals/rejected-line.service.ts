import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { RejectedLineRepository, type RejectedLineFilter, type RejectedLineRow } from './rejected-line.repository';

/** Rows kept; the least recently seen go first. */
export const REJECTED_LINES_KEPT = 10_000;
/** Pruning runs at most this often. */
const PRUNE_EVERY_MS = 60_000;

/** Where the lines of one request came from. */
export interface UploadSource {
  readonly deviceSn: string;
  readonly deviceId: string | null;
  readonly ip: string | undefined;
  readonly endpoint: string;
  readonly table: string | null;
}

/** The lines of one request that could not be used, with why. */
export class RejectedLines {
  readonly items: { raw: string; reason: string }[] = [];

  add(raw: string, reason: string): void {
    this.items.push({ raw, reason });
  }
}

/**
 * Lines a terminal sent that cannot be stored are set aside in `push_rejected_line` with their
 * raw text, device, address, time and reason, and logged, so the rest of the upload is stored,
 * the terminal is answered and moves on, and an operator sees what was left out
 * (`GET /api/v1/push/rejected-lines`). Nothing a terminal sent is answered OK without being
 * stored or set aside here.
 */
@Injectable()
export class RejectedLineService {
  private readonly log: Logger;
  private lastPruneMs = 0;
  private pruning = false;

  constructor(
    private readonly lines: RejectedLineRepository,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'rejected-lines' });
  }

  /** Stores the rejected lines of one request (throws when the database does). */
  async setAside(source: UploadSource, rejected: RejectedLines, now = new Date()): Promise<void> {
    if (rejected.items.length === 0) return;
    await this.lines.add(
      rejected.items.map((r) => ({
        deviceSn: source.deviceSn,
        deviceId: source.deviceId,
        ip: source.ip ?? null,
        endpoint: source.endpoint,
        table: source.table,
        reason: r.reason,
        raw: r.raw,
      })),
      now,
    );
    const reasons: Record<string, number> = {};
    for (const r of rejected.items) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
    this.log.warn(
      {
        sn: source.deviceSn,
        endpoint: source.endpoint,
        table: source.table,
        ip: source.ip,
        count: rejected.items.length,
        reasons,
      },
      'terminal lines set aside',
    );
    this.pruneSoon(now.getTime());
  }

  list(filter: RejectedLineFilter): Promise<{ rows: RejectedLineRow[]; total: number }> {
    return this.lines.list(filter);
  }

  remove(id: string): Promise<boolean> {
    return this.lines.remove(id);
  }

  private pruneSoon(nowMs: number): void {
    if (this.pruning || nowMs - this.lastPruneMs < PRUNE_EVERY_MS) return;
    this.pruning = true;
    this.lastPruneMs = nowMs;
    this.lines
      .prune(REJECTED_LINES_KEPT)
      .then((deleted) => {
        if (deleted > 0) this.log.info({ deleted, kept: REJECTED_LINES_KEPT }, 'oldest rejected lines pruned');
      })
      .catch((err: unknown) => this.log.warn({ err }, 'pruning rejected lines failed'))
      .finally(() => (this.pruning = false));
  }
}
