/**
 * The ground truth of `npm run bench:faults` and the figures it gives. Everything is counted
 * against what the simulated terminals and the client saw, then matched with access-core's
 * database at the end; nothing is inferred from the apps' own logs or answers.
 *
 * Events. Each card swipe the benchmark raises uses a card number of its own, so a swipe is
 * identified by (terminal, card) all the way: the terminal's rtlog line, the `access_event` row
 * (its `card_no`), and the live alarm (its `eventId` is that row). Every swipe is of an unknown
 * card (event 27, an exception), so every one must be stored and must reach the live client.
 * An event is **lost** unless it is both stored and delivered once the run has settled, whatever
 * happened on the way; the breakdown says where it stopped:
 *  - `acknowledged_not_stored`: the site answered the upload OK and did not store it (the
 *    terminal deleted it: gone for good, and nobody was told);
 *  - `held_by_terminal`: never accepted (uploads refused or unanswered), still queued on the
 *    terminal at the end (a refusal the terminal retries forever holds everything behind it);
 *  - `stored_not_delivered`: in the database, never on the live stream.
 * A line that is not an event (the poisoned one) is not counted among events at all.
 *
 * Other events the terminals raise on their own (event 8, a remote opening, for each unlock)
 * are normal-level, never live; they are identified by their rtlog line and only need storing.
 *
 * Unlocks. Each remote unlock has an Idempotency-Key of its own; an execution is a `CONTROL
 * DEVICE` open the terminal carried out (not one it recognised as already done), attributed to
 * a key through access-core's `device_command` row (its command id and idempotency key).
 */

export interface RaisedEvent {
  readonly sn: string;
  /** The card number of a swipe the benchmark raised; undefined for the terminal's own events. */
  readonly card: string | undefined;
  /** The rtlog line as the terminal uploads it. */
  readonly line: string;
  readonly code: number;
  readonly phase: string;
  /** Wall clock (ms). */
  readonly at: number;
}

export interface StoredRow {
  readonly id: string;
  readonly deviceSn: string;
  readonly cardNo: string | null;
  readonly raw: string | null;
}

export interface UnlockSent {
  readonly key: string;
  readonly doorId: string;
  readonly sn: string;
  readonly phase: string;
  readonly at: number;
}

/** How an unlock call ended: the outcome status, or `error:<code>` when the SDK gave up. */
export type UnlockAnswer = { readonly at: number; readonly result: string };

export interface Execution {
  readonly sn: string;
  readonly cmdId: string;
  readonly at: number;
  readonly phase: string;
}

export interface OutageMark {
  readonly part: string;
  /** When the part was restarted, or the outage ended (wall clock, ms). */
  readonly t0: number;
  /** Restart → the part itself answers again (its health check, the tunnel up, the port open). */
  readonly readyAt: number | undefined;
  /** First 2xx of an API request through the broker sent at or after t0. */
  readonly apiAt: number | undefined;
  /** How long the benchmark waited for recovery before it moved on. */
  readonly waitedMs: number;
}

export interface OutageResult {
  readonly part: string;
  /** The restart, or the end of the outage. */
  readonly at: string;
  /** Until the whole path worked again: the largest of api_s, event_s and unlock_s. */
  readonly recovery_s: number;
  readonly recovered: boolean;
  readonly ready_s: number | null;
  readonly api_s: number | null;
  readonly event_s: number | null;
  readonly unlock_s: number | null;
}

export interface PhaseResult {
  readonly phase: string;
  readonly raised: number;
  readonly stored: number;
  readonly delivered: number;
  readonly lost: number;
  readonly push_5xx: number;
  readonly unlock_keys: number;
  readonly executions: number;
}

export interface TerminalResult {
  readonly sn: string;
  readonly raised: number;
  readonly stored: number;
  readonly delivered: number;
  readonly lost: number;
}

/** One lost swipe, to look into by hand. */
export interface LostSample {
  readonly sn: string;
  readonly card: string;
  readonly phase: string;
  readonly raised_at: string;
  /** Its access_event row, when stored. */
  readonly row_id: string | null;
  /** The stream ids delivered just before and after it was raised (a gap shows there). */
  readonly stream_ids_around: readonly [string | null, string | null];
}

export interface LostDetail {
  readonly acknowledged_not_stored: number;
  readonly held_by_terminal: number;
  readonly stored_not_delivered: number;
}

export interface FaultReport {
  readonly events: {
    readonly raised: number;
    readonly stored: number;
    readonly delivered: number;
    readonly duplicates: number;
    readonly lost: number;
    readonly lost_detail: LostDetail;
    /** Rows beyond the first stored for one swipe. */
    readonly stored_twice: number;
    /** Alarms delivered that are none of the benchmark's swipes (or whose row is gone). */
    readonly unexpected_deliveries: number;
    /** Up to five lost swipes of each kind. */
    readonly lost_samples: Readonly<Record<keyof LostDetail, readonly LostSample[]>>;
  };
  readonly other_events: { readonly raised: number; readonly stored: number; readonly lost: number };
  readonly unlocks: {
    readonly keys: number;
    readonly executions: number;
    readonly keys_executed_once: number;
    readonly keys_not_executed: number;
    readonly keys_executed_more_than_once: number;
    /** Executions of an open command that belongs to no key of the run. */
    readonly unattributed_executions: number;
    /** What the calls answered: outcome status, or `error:<code>`; `unanswered` if still running. */
    readonly answers: Readonly<Record<string, number>>;
  };
  readonly outages: readonly OutageResult[];
  readonly push_5xx: number;
  readonly phases: readonly PhaseResult[];
  readonly terminals: readonly TerminalResult[];
}

const round = (ms: number): number => Math.round(ms / 10) / 100;
const lineKey = (sn: string, line: string): string => `${sn}\n${line}`;

export class FaultLedger {
  private readonly raised: RaisedEvent[] = [];
  private readonly byCard = new Map<string, RaisedEvent>();
  /** By terminal and line (two terminals can write the same line: same second, same index). */
  private readonly byLine = new Map<string, RaisedEvent>();
  private readonly acknowledged = new Set<string>();
  /** Live alarms in the order they arrived: the event row id and when. */
  private readonly deliveries: { eventId: string; at: number; streamId: string | undefined }[] = [];
  private readonly rows = new Map<string, StoredRow>();
  private readonly unlocks: UnlockSent[] = [];
  private readonly answers = new Map<string, UnlockAnswer>();
  private readonly executions: Execution[] = [];
  private readonly responses5xx: { phase: string; path: string }[] = [];
  private readonly phaseOrder: string[] = [];

  /** Phases in the order the run went through them (for the breakdown). */
  phase(name: string): void {
    if (!this.phaseOrder.includes(name)) this.phaseOrder.push(name);
  }

  raise(e: RaisedEvent): void {
    this.phase(e.phase);
    const key = lineKey(e.sn, e.line);
    if (this.byLine.has(key)) throw new Error(`${e.sn} raised two events with the same rtlog line: ${e.line}`);
    if (e.card !== undefined && this.byCard.has(e.card)) throw new Error(`card ${e.card} raised twice`);
    this.raised.push(e);
    this.byLine.set(key, e);
    if (e.card !== undefined) this.byCard.set(e.card, e);
  }

  /** The site answered an rtlog upload of terminal `sn` OK: the terminal deletes these lines. */
  uploaded(sn: string, lines: readonly string[]): void {
    for (const l of lines) this.acknowledged.add(lineKey(sn, l));
  }

  /** A live alarm: its event row, when it arrived, and its stream id. */
  delivered(eventId: string, at: number, streamId?: string): void {
    this.deliveries.push({ eventId, at, streamId });
  }

  /** Rows of access_event (the final snapshot, or looked up while running). */
  rowsFound(rows: readonly StoredRow[]): void {
    for (const r of rows) this.rows.set(r.id, r);
  }

  /** Event ids delivered whose row has not been looked up yet. */
  unresolvedDeliveries(): string[] {
    return [...new Set(this.deliveries.map((d) => d.eventId).filter((id) => !this.rows.has(id)))];
  }

  unlockSent(u: UnlockSent): void {
    this.phase(u.phase);
    this.unlocks.push(u);
  }

  unlockAnswered(key: string, answer: UnlockAnswer): void {
    this.answers.set(key, answer);
  }

  unlocksPending(): number {
    return this.unlocks.filter((u) => !this.answers.has(u.key)).length;
  }

  executed(e: Execution): void {
    this.executions.push(e);
  }

  pushAnswer(phase: string, path: string, status: number): void {
    if (status >= 500) this.responses5xx.push({ phase, path });
  }

  get raisedCount(): number {
    return this.raised.length;
  }

  get deliveryCount(): number {
    return this.deliveries.length;
  }

  /** First live alarm of a swipe raised at or after `t0`, when it arrived (undefined: none yet). */
  firstDeliveryRaisedAfter(t0: number): number | undefined {
    for (const d of this.deliveries) {
      if (d.at < t0) continue;
      const e = this.eventOfRow(this.rows.get(d.eventId));
      if (e && e.at >= t0) return d.at;
    }
    return undefined;
  }

  /** First unlock answered `acked` at or after `t0`. */
  firstUnlockAckedAfter(t0: number): number | undefined {
    let first: number | undefined;
    for (const a of this.answers.values()) {
      if (a.result === 'acked' && a.at >= t0 && (first === undefined || a.at < first)) first = a.at;
    }
    return first;
  }

  /** The swipe a row stores: by its card number, else by its raw line (should card_no ever be sealed). */
  private eventOfRow(row: StoredRow | undefined): RaisedEvent | undefined {
    if (!row) return undefined;
    const byCard = row.cardNo === null ? undefined : this.byCard.get(row.cardNo);
    if (byCard) return byCard.sn === row.deviceSn ? byCard : undefined;
    const byLine = row.raw === null ? undefined : this.byLine.get(lineKey(row.deviceSn, row.raw));
    return byLine?.card !== undefined ? byLine : undefined;
  }

  /**
   * The figures. `stored` is every access_event row of the site at the end; `commandKeys` maps
   * a command id (`cmd_id`) to the Idempotency-Key the benchmark sent with it.
   */
  report(
    stored: readonly StoredRow[],
    commandKeys: ReadonlyMap<string, string>,
    outages: readonly OutageMark[],
    opts: { readonly recoveryLimitMs: number; readonly withUnlocks: boolean },
  ): FaultReport {
    this.rowsFound(stored);
    const rowsOfSwipe = new Map<RaisedEvent, number>();
    const rowsOfLine = new Map<RaisedEvent, number>();
    for (const r of stored) {
      const swipe = this.eventOfRow(r);
      if (swipe) rowsOfSwipe.set(swipe, (rowsOfSwipe.get(swipe) ?? 0) + 1);
      const own = r.raw === null ? undefined : this.byLine.get(lineKey(r.deviceSn, r.raw));
      if (own && own.card === undefined) rowsOfLine.set(own, (rowsOfLine.get(own) ?? 0) + 1);
    }
    const deliveriesOf = new Map<RaisedEvent, number>();
    let unexpected = 0;
    for (const d of this.deliveries) {
      const e = this.eventOfRow(this.rows.get(d.eventId));
      if (!e) unexpected++;
      else deliveriesOf.set(e, (deliveriesOf.get(e) ?? 0) + 1);
    }

    const swipes = this.raised.filter((e) => e.card !== undefined);
    const others = this.raised.filter((e) => e.card === undefined);
    const lostDetail = { acknowledged_not_stored: 0, held_by_terminal: 0, stored_not_delivered: 0 };
    const samples: Record<keyof LostDetail, LostSample[]> = {
      acknowledged_not_stored: [],
      held_by_terminal: [],
      stored_not_delivered: [],
    };
    const rowIdOf = new Map<RaisedEvent, string>();
    for (const r of stored) {
      const swipe = this.eventOfRow(r);
      if (swipe && !rowIdOf.has(swipe)) rowIdOf.set(swipe, r.id);
    }
    const isLost = (e: RaisedEvent): boolean => !rowsOfSwipe.has(e) || !deliveriesOf.has(e);
    for (const e of swipes) {
      if (!isLost(e)) continue;
      const kind: keyof LostDetail = !rowsOfSwipe.has(e)
        ? this.acknowledged.has(lineKey(e.sn, e.line))
          ? 'acknowledged_not_stored'
          : 'held_by_terminal'
        : 'stored_not_delivered';
      lostDetail[kind]++;
      if (samples[kind].length < 5) samples[kind].push(this.sample(e, rowIdOf.get(e) ?? null));
    }
    let duplicates = 0;
    for (const n of deliveriesOf.values()) duplicates += n - 1;
    let storedTwice = 0;
    for (const n of rowsOfSwipe.values()) storedTwice += n - 1;

    const keyOf = (x: Execution): string | undefined => commandKeys.get(x.cmdId);
    const sentKeys = new Set(this.unlocks.map((u) => u.key));
    const perKey = new Map<string, number>();
    let unattributed = 0;
    for (const x of this.executions) {
      const k = keyOf(x);
      if (k === undefined || !sentKeys.has(k)) unattributed++;
      else perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    const answers: Record<string, number> = {};
    for (const u of this.unlocks) {
      const r = this.answers.get(u.key)?.result ?? 'unanswered';
      answers[r] = (answers[r] ?? 0) + 1;
    }

    const phases: PhaseResult[] = this.phaseOrder.map((phase) => {
      const inPhase = swipes.filter((e) => e.phase === phase);
      const keys = this.unlocks.filter((u) => u.phase === phase);
      return {
        phase,
        raised: inPhase.length,
        stored: inPhase.filter((e) => rowsOfSwipe.has(e)).length,
        delivered: inPhase.filter((e) => deliveriesOf.has(e)).length,
        lost: inPhase.filter(isLost).length,
        push_5xx: this.responses5xx.filter((r) => r.phase === phase).length,
        unlock_keys: keys.length,
        executions: keys.reduce((n, u) => n + (perKey.get(u.key) ?? 0), 0),
      };
    });

    const sns = [...new Set(swipes.map((e) => e.sn))].sort();
    const terminals: TerminalResult[] = sns.map((sn) => {
      const of = swipes.filter((e) => e.sn === sn);
      return {
        sn,
        raised: of.length,
        stored: of.filter((e) => rowsOfSwipe.has(e)).length,
        delivered: of.filter((e) => deliveriesOf.has(e)).length,
        lost: of.filter(isLost).length,
      };
    });

    return {
      events: {
        raised: swipes.length,
        stored: swipes.filter((e) => rowsOfSwipe.has(e)).length,
        delivered: deliveriesOf.size,
        duplicates,
        lost: swipes.filter(isLost).length,
        lost_detail: lostDetail,
        stored_twice: storedTwice,
        unexpected_deliveries: unexpected,
        lost_samples: samples,
      },
      other_events: {
        raised: others.length,
        stored: others.filter((e) => rowsOfLine.has(e)).length,
        lost: others.filter((e) => !rowsOfLine.has(e)).length,
      },
      unlocks: {
        keys: this.unlocks.length,
        executions: this.executions.length,
        keys_executed_once: [...sentKeys].filter((k) => perKey.get(k) === 1).length,
        keys_not_executed: [...sentKeys].filter((k) => !perKey.has(k)).length,
        keys_executed_more_than_once: [...sentKeys].filter((k) => (perKey.get(k) ?? 0) > 1).length,
        unattributed_executions: unattributed,
        answers,
      },
      outages: outages.map((o) => this.outageResult(o, opts.recoveryLimitMs, opts.withUnlocks)),
      push_5xx: this.responses5xx.length,
      phases,
      terminals,
    };
  }

  private sample(e: RaisedEvent, rowId: string | null): LostSample {
    let before: string | null = null;
    let after: string | null = null;
    for (const d of this.deliveries) {
      if (d.streamId === undefined) continue;
      if (d.at <= e.at) before = d.streamId;
      else if (after === null) after = d.streamId;
    }
    return {
      sn: e.sn,
      card: e.card ?? '',
      phase: e.phase,
      raised_at: new Date(e.at).toISOString(),
      row_id: rowId,
      stream_ids_around: [before, after],
    };
  }

  private outageResult(o: OutageMark, limitMs: number, withUnlocks: boolean): OutageResult {
    const since = (t: number | undefined): number | null => (t === undefined ? null : round(t - o.t0));
    const event = this.firstDeliveryRaisedAfter(o.t0);
    const unlock = this.firstUnlockAckedAfter(o.t0);
    const parts = withUnlocks ? [o.apiAt, event, unlock] : [o.apiAt, event];
    const times = parts.filter((t): t is number => t !== undefined);
    const recovered = times.length === parts.length;
    return {
      part: o.part,
      at: new Date(o.t0).toISOString(),
      recovery_s: recovered ? round(Math.max(...times) - o.t0) : round(Math.max(limitMs, o.waitedMs)),
      recovered,
      ready_s: since(o.readyAt),
      api_s: since(o.apiAt),
      event_s: since(event),
      unlock_s: since(unlock),
    };
  }
}
