import net from 'node:net';
import { ConfigError } from '@lanbridge/config';
import { startAccessCore } from './bootstrap';

describe('startAccessCore start-up failures', () => {
  it('throws ConfigError before touching anything', async () => {
    await expect(startAccessCore({ ACCESS_CORE_PORT: 'eighty', LOG_LEVEL: 'silent' })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it('rejects when PostgreSQL is unreachable', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    await expect(
      startAccessCore({
        ACCESS_CORE_PORT: '0',
        DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test`,
        LOG_LEVEL: 'silent',
      }),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });

  it('rejects and cleans up when the port is taken', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await expect(
        startAccessCore({
          ACCESS_CORE_PORT: String(port),
          DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
          LOG_LEVEL: 'silent',
        }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
