import { ConfigError } from '@lanbridge/config';
import { loadConnectorConfig, loadLocalConfig } from './connector.config';

describe('connector config', () => {
  const tunnel = { BROKER_URL: 'ws://127.0.0.1:8080/tunnel/v1/connect', CONNECTOR_ID: 'c1' };

  it('applies defaults', () => {
    const c = loadConnectorConfig(tunnel);
    expect(c).toMatchObject({
      brokerUrl: tunnel.BROKER_URL,
      connectorId: 'c1',
      keyFile: '.data/connector/connector.key',
      localAppUrl: 'http://127.0.0.1:8090',
      statusHost: '127.0.0.1',
      statusPort: 8081,
      backoff: { baseMs: 1000, maxMs: 30000, healthyResetMs: 60000 },
      upstreamTimeoutMs: 60000,
    });
  });

  it('requires the tunnel keys only to run, listing every problem at once', () => {
    expect(loadLocalConfig({}).brokerUrl).toBeUndefined();
    let caught: unknown;
    try {
      loadConnectorConfig({ BROKER_URL: '', STATUS_PORT: 'x', STATUS_HOST: '0.0.0.0' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/BROKER_URL is required/);
    expect(problems).toMatch(/CONNECTOR_ID is required/);
    expect(problems).toMatch(/STATUS_PORT must be an integer/);
    expect(problems).toMatch(/STATUS_HOST must be a loopback address/);
  });

  it('accepts loopback status hosts and ws/wss broker URLs only', () => {
    expect(loadConnectorConfig({ ...tunnel, STATUS_HOST: '::1' }).statusHost).toBe('::1');
    expect(loadConnectorConfig({ ...tunnel, STATUS_HOST: '127.0.0.2' }).statusHost).toBe('127.0.0.2');
    expect(() => loadConnectorConfig({ ...tunnel, STATUS_HOST: '192.168.1.5' })).toThrow(ConfigError);
    expect(() => loadConnectorConfig({ ...tunnel, BROKER_URL: 'http://broker/tunnel/v1/connect' })).toThrow(
      /BROKER_URL must use ws or wss/,
    );
  });
});
