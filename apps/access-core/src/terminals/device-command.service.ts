import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { DeviceCommandEntity, DeviceCommandMeta } from '../domain/device-command.entity';
import { DeviceCommandRepository, type CommandResult } from '../domain/device-command.repository';
import { DomainEvents } from '../events/domain-events';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';

export interface EnqueueOptions {
  /** What the command is for (`open-door`, `lock`, `data-user`, …); default `raw`. */
  readonly kind?: string;
  /** A retried request with the same key returns the first row and enqueues nothing. */
  readonly idempotencyKey?: string;
  readonly meta?: DeviceCommandMeta;
}

/** Commands handed to one device per poll. */
const COMMANDS_PER_POLL = 32;
/** Even when nothing was enqueued through this service, look at the table this often. */
const PENDING_RECHECK_MS = 30_000;

/**
 * The persisted per-device command queue: queued → sent (handed out by getrequest) → acked
 * (Return ≥ 0) | failed (Return < 0, or -2 when the device restarted without answering).
 */
@Injectable()
export class DeviceCommandService {
  private readonly log: Logger;
  /** Per device: "may have queued commands", so idle polls skip the database. */
  private readonly pending = new Map<string, { maybe: boolean; checkedAt: number }>();

  constructor(
    private readonly commands: DeviceCommandRepository,
    private readonly bus: DomainEvents,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'device-commands' });
  }

  /**
   * Queues one command line (without the `C:<id>:` prefix) for a device.
   * @throws AccessCoreException BAD_REQUEST for a multi-line or empty command, CONFLICT when the
   *   idempotency key was used for a different device or command.
   */
  async enqueue(deviceId: string, text: string, opts: EnqueueOptions = {}): Promise<DeviceCommandEntity> {
    if (text.trim() === '' || /[\r\n]/.test(text)) {
      throw new AccessCoreException(AccessCoreErrorCode.BAD_REQUEST, 'a device command is one non-empty line');
    }
    const key = opts.idempotencyKey ?? null;
    const { command, created } = await this.commands.insertIdempotent({
      deviceId,
      text,
      kind: opts.kind ?? 'raw',
      idempotencyKey: key,
      meta: opts.meta ?? null,
    });
    if (!created && (command.deviceId !== deviceId || command.text !== text)) {
      throw new AccessCoreException(
        AccessCoreErrorCode.CONFLICT,
        'this idempotency key was already used for a different command',
      );
    }
    if (created) {
      this.pending.set(deviceId, { maybe: true, checkedAt: Date.now() });
      this.log.info({ deviceId, cmdId: command.cmdId, kind: command.kind, text }, 'command queued');
    }
    return command;
  }

  /** Looks a command up by its idempotency key (null when unused). */
  findByIdempotencyKey(key: string): Promise<DeviceCommandEntity | null> {
    return this.commands.findByIdempotencyKey(key);
  }

  findById(id: string): Promise<DeviceCommandEntity | null> {
    return this.commands.findById(id);
  }

  /**
   * Waits until the command is acked or failed, or `timeoutMs` passed; returns the row as it
   * then is (status still `queued`/`sent` on timeout).
   * @throws AccessCoreException NOT_FOUND for an unknown id.
   */
  async awaitResult(commandId: string, timeoutMs: number): Promise<DeviceCommandEntity> {
    let resolveDone: (c: DeviceCommandEntity) => void = () => undefined;
    const done = new Promise<DeviceCommandEntity>((resolve) => (resolveDone = resolve));
    // Subscribe before reading, so a result arriving in between is not missed.
    const off = this.bus.on('command.result', ({ command }) => {
      if (command.id === commandId) resolveDone(command);
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const current = await this.commands.findById(commandId);
      if (!current) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no command ${commandId}`);
      if (current.status === 'acked' || current.status === 'failed' || timeoutMs <= 0) return current;
      const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      const result = await Promise.race([done, timedOut]);
      return result ?? (await this.commands.findById(commandId)) ?? current;
    } finally {
      clearTimeout(timer);
      off();
    }
  }

  /** For getrequest: hands out the device's queued commands (marking them sent). */
  async takeForDevice(deviceId: string, now: Date): Promise<DeviceCommandEntity[]> {
    const hint = this.pending.get(deviceId);
    if (hint && !hint.maybe && now.getTime() - hint.checkedAt < PENDING_RECHECK_MS) return [];
    const taken = await this.commands.takeQueued(deviceId, COMMANDS_PER_POLL, now);
    this.pending.set(deviceId, { maybe: taken.length >= COMMANDS_PER_POLL, checkedAt: now.getTime() });
    if (taken.length > 0) this.log.debug({ deviceId, cmdIds: taken.map((c) => c.cmdId) }, 'commands sent');
    return taken;
  }

  /** For devicecmd: records results; returns how many matched a command of this device. */
  async applyResults(deviceId: string, results: readonly CommandResult[], now: Date): Promise<number> {
    let matched = 0;
    for (const r of results) {
      if (!/^\d{1,18}$/.test(r.cmdId)) {
        this.log.warn({ deviceId, cmdId: r.cmdId }, 'result for a command id we never issue');
        continue;
      }
      const command = await this.commands.applyResult(deviceId, r, now);
      if (!command) {
        this.log.warn({ deviceId, cmdId: r.cmdId, returnCode: r.returnCode }, 'result for an unknown command');
        continue;
      }
      matched++;
      const level = command.status === 'acked' ? 'info' : 'warn';
      this.log[level](
        { deviceId, cmdId: command.cmdId, kind: command.kind, returnCode: r.returnCode },
        'command result',
      );
      this.bus.emit('command.result', { command });
    }
    return matched;
  }

  /** The device started a new session: commands it was given but never answered fail (-2). */
  async failUnanswered(deviceId: string, now: Date): Promise<void> {
    const failed = await this.commands.failUnanswered(deviceId, now);
    for (const command of failed) {
      this.log.warn(
        { deviceId, cmdId: command.cmdId, kind: command.kind },
        'command unanswered before the device restarted',
      );
      this.bus.emit('command.result', { command });
    }
  }
}
