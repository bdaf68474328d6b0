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
      ACCESS_CORE_ADMIN_PASSWORD: undefined,
      NODE_ENV: 'development',
      AUTH_ACCESS_TOKEN_TTL_SECONDS: 900,
      AUTH_REFRESH_TOKEN_TTL_DAYS: 30,
      AUTH_LOGIN_WINDOW_SECONDS: 900,
      AUTH_LOGIN_MAX_PER_IP: 30,
      AUTH_LOGIN_MAX_PER_ACCOUNT: 5,
      MOBILE_COMMAND_WAIT_MS: 10000,
      MOBILE_PHOTO_MAX_BYTES: 1048576,
      DATA_ENCRYPTION_KEY: undefined,
      DATA_ENCRYPTION_OLD_KEYS: [],
      DEVICE_OFFLINE_AFTER_MS: undefined,
      PUSH_AUTO_ENROLL: false,
      PUSH_CHECK_TOKEN: false,
      PUSH_ERROR_DELAY_SEC: 30,
      PUSH_MAX_BODY_BYTES: 1048576,
      PUSH_REQUEST_DELAY_SEC: 5,
      CLOUD_UPLINK_URL: undefined,
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
        CLOUD_UPLINK_URL: 'ftp://connector/uplink',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(
      /ACCESS_CORE_PORT[\s\S]*DATABASE_URL[\s\S]*DATABASE_SCHEMA[\s\S]*LOG_LEVEL[\s\S]*CLOUD_UPLINK_URL/,
    );
  });
});
