import { ConfigError, env, loadConfig } from './env';

const spec = {
  PORT: env.int({ description: 'HTTP port', default: 8080, min: 1, max: 65535 }),
  DATABASE_URL: env.optionalUrl({ description: 'PostgreSQL URL', protocols: ['postgres', 'postgresql'] }),
  NAME: env.string({ description: 'node name' }),
  DEBUG: env.bool({ description: 'debug', default: false }),
};

describe('loadConfig', () => {
  it('converts values and applies defaults', () => {
    const c = loadConfig(spec, { NAME: 'a', PORT: '9000', DEBUG: 'yes' });
    expect(c).toEqual({ PORT: 9000, DATABASE_URL: undefined, NAME: 'a', DEBUG: true });
  });

  it('names every bad key in one error', () => {
    let err: unknown;
    try {
      loadConfig(spec, { PORT: '99999', DATABASE_URL: 'mysql://x', DEBUG: 'maybe' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT must be <= 65535/);
    expect(problems).toMatch(/DATABASE_URL must use postgres or postgresql/);
    expect(problems).toMatch(/NAME is required/);
    expect(problems).toMatch(/DEBUG must be true or false/);
  });
});
