import { DataSource } from 'typeorm';
import { createTestSchema, TEST_DATABASE_URL } from '@lanbridge/testing';
import { ACCESS_CORE_MIGRATIONS } from '../../src/database/migrations';
import { EventFingerprint1767600000000 } from '../../src/database/migrations/1767600000000-event-fingerprint';
import { eventFingerprint } from '../../src/events/event-fingerprint';

describe('access domain migration on PostgreSQL', () => {
  it('migrates up, down and up again', async () => {
    const schema = await createTestSchema('ac_migration');
    const ds = new DataSource({
      type: 'postgres',
      url: TEST_DATABASE_URL,
      schema: schema.name,
      migrations: ACCESS_CORE_MIGRATIONS,
      logging: false,
    });
    await ds.initialize();
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      expect(ran.map((m) => m.name)).toEqual([
        'CreateSiteSetting1767225600000',
        'CreateAccessDomain1767312000000',
        'CreateAuthSession1767398400000',
        'MobilePath1767500000000',
        'EventFingerprint1767600000000',
        'PushRejectedLine1767610000000',
        'DeviceApproval1767620000000',
        'EventDispatch1767630000000',
      ]);
      const tables = async (): Promise<string[]> =>
        (
          await ds.query<{ table_name: string }[]>(
            `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
            [schema.name],
          )
        )
          .map((r) => r.table_name)
          .sort();
      expect(await tables()).toEqual(
        expect.arrayContaining([
          'device',
          'door',
          'person',
          'access_event',
          'device_command',
          'event_dispatch',
          'cloud_outbox_rejected',
        ]),
      );
      await ds.undoLastMigration({ transaction: 'each' }); // event_dispatch, stream_event.key, cloud_outbox_rejected
      await ds.undoLastMigration({ transaction: 'each' }); // device.approval
      await ds.undoLastMigration({ transaction: 'each' }); // push_rejected_line
      await ds.undoLastMigration({ transaction: 'each' }); // access_event.fingerprint
      await ds.undoLastMigration({ transaction: 'each' }); // stream_event, stream_cursor, idempotency_record, cloud_outbox
      await ds.undoLastMigration({ transaction: 'each' }); // auth_session
      await ds.undoLastMigration({ transaction: 'each' }); // the access domain
      expect(await tables()).toEqual(['migrations', 'site_setting']);
      await ds.runMigrations({ transaction: 'each' });
      expect(await tables()).toContain('lockdown_group_door');
    } finally {
      await ds.destroy();
      await schema.drop();
    }
  });
});

describe('event fingerprint migration', () => {
  it('fingerprints stored events as the app does, re-keys on (device, index, fingerprint), and goes back without losing a row', async () => {
    const schema = await createTestSchema('ac_fingerprint');
    const ds = new DataSource({
      type: 'postgres',
      url: TEST_DATABASE_URL,
      schema: schema.name,
      migrations: ACCESS_CORE_MIGRATIONS.slice(0, ACCESS_CORE_MIGRATIONS.indexOf(EventFingerprint1767600000000)),
      logging: false,
    });
    await ds.initialize();
    const t = (name: string): string => `"${schema.name}"."${name}"`;
    try {
      await ds.runMigrations({ transaction: 'each' });
      const [device] = await ds.query<{ id: string }[]>(
        `INSERT INTO ${t('device')} (sn, alias) VALUES ('FP0001', 'Fingerprinted') RETURNING id`,
      );
      const events = [
        { index: '1', time: new Date('2024-05-01T10:00:00Z'), code: 27, doorNo: 1, inOut: 0, verifyType: '4' },
        { index: '2', time: new Date('2024-05-01T10:00:07Z'), code: 102, doorNo: null, inOut: null, verifyType: null },
      ];
      for (const e of events) {
        await ds.query(
          `INSERT INTO ${t('access_event')} (id, device_sn, device_id, device_index, source, time, code, name, level,
             door_no, in_out, verify_type)
           VALUES (gen_random_uuid(), 'FP0001', $1, $2, 'rtlog', $3, $4, 'x', 'normal', $5, $6, $7)`,
          [device.id, e.index, e.time, e.code, e.doorNo, e.inOut, e.verifyType],
        );
      }
      await ds.query(
        `INSERT INTO ${t('access_event')} (id, device_sn, source, time, code, name, level)
         VALUES (gen_random_uuid(), 'FP0001', 'server', now(), 700, 'Lost Connect', 'alarm')`,
      );

      const migrate = new DataSource({ ...ds.options, migrations: ACCESS_CORE_MIGRATIONS });
      await migrate.initialize();
      try {
        expect((await migrate.runMigrations({ transaction: 'each' })).map((m) => m.name)[0]).toBe(
          'EventFingerprint1767600000000',
        );
        const rows = await migrate.query<{ device_index: string | null; fingerprint: string | null }[]>(
          `SELECT device_index::text, fingerprint::text FROM ${t('access_event')} ORDER BY device_index NULLS LAST`,
        );
        expect(rows).toEqual([
          { device_index: '1', fingerprint: eventFingerprint(events[0]) },
          { device_index: '2', fingerprint: eventFingerprint(events[1]) },
          { device_index: null, fingerprint: null },
        ]);
        // Index 1 reused by a new event: stored; the same record again: refused by the key.
        const insert = (fingerprint: string): Promise<unknown> =>
          migrate.query(
            `INSERT INTO ${t('access_event')} (id, device_sn, device_id, device_index, fingerprint, source, time, code,
               name, level)
             VALUES (gen_random_uuid(), 'FP0001', $1, 1, $2, 'rtlog', now(), 27, 'x', 'exception')`,
            [device.id, fingerprint],
          );
        await insert(eventFingerprint({ ...events[0], time: new Date('2024-06-01T08:00:00Z') }));
        await expect(insert(eventFingerprint(events[0]))).rejects.toThrow(/uq_access_event_device_record/);

        while (
          (await migrate.query<{ name: string }[]>(`SELECT name FROM ${t('migrations')} ORDER BY id DESC LIMIT 1`))[0]
            ?.name !== 'EventFingerprint1767600000000'
        ) {
          await migrate.undoLastMigration({ transaction: 'each' });
        }
        await migrate.undoLastMigration({ transaction: 'each' });
        const back = await migrate.query<{ device_index: string | null }[]>(
          `SELECT device_index::text FROM ${t('access_event')} ORDER BY created_at, device_index NULLS LAST`,
        );
        expect(back.map((r) => r.device_index).sort()).toEqual(['1', '2', null, null]);
      } finally {
        await migrate.destroy();
      }
    } finally {
      await ds.destroy();
      await schema.drop();
    }
  });
});
