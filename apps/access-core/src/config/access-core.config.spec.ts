import { ConfigError } from '@lanbridge/config';
import { loadAccessCoreConfig } from './access-core.config';

describe('loadAccessCoreConfig', () => {
  it('applies the defaults', () => {
    expect(loadAccessCoreConfig({})).toEqual({
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: 8090,
      DATABASE_URL: undefined,
      DATABASE_SCHEMA: undefined,
      ACCESS_CORE_DATA_DIR: '.data/access-core',
      SITE_NAME: 'Lanbridge site',
      LOG_LEVEL: 'info',
    });
  });

  it('accepts port 0 and a postgres URL with a schema', () => {
    const c = loadAccessCoreConfig({
      ACCESS_CORE_PORT: '0',
      DATABASE_URL: 'postgresql://u@db:5432/site',
      DATABASE_SCHEMA: 'access_core',
    });
    expect(c).toMatchObject({
      ACCESS_CORE_PORT: 0,
      DATABASE_URL: 'postgresql://u@db:5432/site',
      DATABASE_SCHEMA: 'access_core',
    });
  });

  it('names every bad key at once', () => {
    let err: unknown;
    try {
      loadAccessCoreConfig({
        ACCESS_CORE_PORT: '70000',
        DATABASE_URL: 'mysql://db/x',
        DATABASE_SCHEMA: 'Robert"; DROP',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/ACCESS_CORE_PORT[\s\S]*DATABASE_URL[\s\S]*DATABASE_SCHEMA[\s\S]*LOG_LEVEL/);
  });
});
