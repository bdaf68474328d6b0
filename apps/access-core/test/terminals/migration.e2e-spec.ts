import { DataSource } from 'typeorm';
import { createTestSchema, TEST_DATABASE_URL } from '@lanbridge/testing';
import { ACCESS_CORE_MIGRATIONS } from '../../src/database/migrations';

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
        expect.arrayContaining(['device', 'door', 'person', 'access_event', 'device_command']),
      );
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
