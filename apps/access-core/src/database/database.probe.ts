import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class DatabaseProbe {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Resolves when a trivial query answers within `timeoutMs`; rejects otherwise. */
  async check(timeoutMs: number): Promise<void> {
    if (!this.dataSource.isInitialized) throw new Error('database is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
