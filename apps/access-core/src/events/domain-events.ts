import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { AccessEventEntity, AlarmEntity } from '../domain/access-event.entity';
import type { DeviceCommandEntity } from '../domain/device-command.entity';
import type { DeviceEntity } from '../domain/device.entity';
import type { DoorEntity } from '../domain/door.entity';
import type { LockdownGroupEntity } from '../domain/lockdown-group.entity';
import type { CloudSettings } from '../settings/settings.types';

/** Payloads of the in-process domain events, by name. */
export interface DomainEventMap {
  /**
   * A new access event was stored (rtlog, ATTLOG, or synthetic). `recovered`: stored before a
   * restart and not followed up then (EventDispatchService); some of the follow-up may be done.
   */
  'event.created': { event: AccessEventEntity; device: DeviceEntity | null; recovered?: boolean };
  /** An exception/alarm-level event raised an Alarm row (`recovered` as for `event.created`). */
  'alarm.created': { alarm: AlarmEntity; event: AccessEventEntity; device: DeviceEntity | null; recovered?: boolean };
  /** A device went online or offline (or re-registered). */
  'device.status': { device: DeviceEntity; online: boolean; reason: 'poll' | 'registry' | 'timeout' | 'rejected' };
  /**
   * A terminal (re)started a session: `handshake` (power-on, reconnect after errors) or
   * `registered`. Device-side volatile state (remote lock) may be lost: re-apply it.
   */
  'device.session': { device: DeviceEntity; kind: 'handshake' | 'registered' };
  /** A door's state changed (rtstate, lockdown, normal-open). */
  'door.state': { door: DoorEntity; device: DeviceEntity };
  /** A command was acknowledged or failed. */
  'command.result': { command: DeviceCommandEntity };
  /** A lockdown group was activated or cancelled. */
  'lockdown.changed': { group: LockdownGroupEntity };
  /**
   * Notifications were stored: one text for each of `operatorIds` (an alarm), or for
   * `personIds` (an event of a person, or of someone they are guardian of).
   */
  'notification.created': {
    kind: 'alarm' | 'event';
    title: string;
    body: string;
    eventId: string;
    alarmId: string | null;
    notificationIds: readonly string[];
    operatorIds: readonly string[];
    personIds: readonly string[];
    createdAt: Date;
    recovered?: boolean;
  };
  /** A person's data was erased; copies kept elsewhere (stream log, outbox) must go too. */
  'person.erased': { personId: string };
  /** The cloud settings (push to app, push data to cloud) were changed by an administrator. */
  'cloud.settings': { previous: CloudSettings; next: CloudSettings };
}
export type DomainEventName = keyof DomainEventMap;

/** A listener; one that returns a promise tells `emitAndWait` when its work is done (other values are ignored). */
export type DomainListener<K extends DomainEventName> = (payload: DomainEventMap[K]) => unknown;

/**
 * In-process event bus. Listeners run synchronously in emit order; a listener that throws is
 * isolated (logged, never breaks the emitter or other listeners). A listener may return a
 * promise of the work it started: `emitAndWait` waits for all of them (what must be finished
 * before a stored event counts as followed up), `emit` logs their failures.
 */
@Injectable()
export class DomainEvents {
  // Synchronous EventEmitter rather than an rxjs Subject: listeners see events in order and
  // nothing is buffered for slow consumers (the WebSocket layer does its own buffering).
  private readonly emitter = new EventEmitter();
  private readonly log: Logger;

  constructor(@Inject(ROOT_LOGGER) root: Logger) {
    this.log = root.child({ component: 'domain-events' });
    this.emitter.setMaxListeners(100);
  }

  /** Subscribes; returns the unsubscribe function. */
  on<K extends DomainEventName>(name: K, listener: DomainListener<K>): () => void {
    const wrapped = (payload: DomainEventMap[K], work?: Promise<unknown>[]): void => {
      try {
        const done = listener(payload);
        if (done instanceof Promise) {
          if (work) work.push(done);
          else done.catch((err: unknown) => this.log.error({ err, event: name }, 'domain event listener failed'));
        }
      } catch (err) {
        this.log.error({ err, event: name }, 'domain event listener failed');
        work?.push(Promise.reject(err instanceof Error ? err : new Error(String(err))));
      }
    };
    this.emitter.on(name, wrapped);
    return () => {
      this.emitter.off(name, wrapped);
    };
  }

  emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  /**
   * Emits, then resolves once the work every listener returned is done; rejects with the first
   * failure (after all of it settled, so nothing is still running when the caller retries).
   */
  async emitAndWait<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<void> {
    const work: Promise<unknown>[] = [];
    this.emitter.emit(name, payload, work);
    const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
