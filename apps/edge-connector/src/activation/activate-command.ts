import * as fs from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@lanbridge/logging';
import QRCode from 'qrcode';
import type { ConnectorLocalConfig } from '../config/connector.config';
import { generateConnectorKey, loadConnectorKey, publicKeyPem } from '../keys/connector-key';
import { AGENT_VERSION } from '../version';
import { ActivationError, ActivationErrorCode } from './activation-error';
import { parseLocalAppUrl, readActivationState, stateFileFor } from './activation-state';
import { type Area, loadAreas } from './areas';
import { type ActivatedConnector, CloudClient } from './cloud-client';
import { ConnectorRuntime } from './connector-runtime';
import { fetchSiteHello } from './site-hello';

export const ACTIVATE_USAGE = `activate [--area ID] [--broker URL] [--code CODE] [--local-app URL] [--qr-wait-ms N]
      headless activation. Without --code: prints a user code and the activation link (RFC 8628
      device flow) and waits for approval. With --code: redeems a single-use activation code
      from the cloud portal. Then connects once and draws the organisation QR code.`;

interface Output {
  write(s: string): unknown;
}

async function pickArea(
  config: ConnectorLocalConfig,
  areaId: string | undefined,
  broker: string | undefined,
): Promise<Area> {
  if (broker) {
    const u = new URL(broker);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new ActivationError(ActivationErrorCode.INVALID_INPUT, '--broker must be an http(s) URL');
    }
    // The broker's own area list names its area; --area picks among them, else the first.
    const { areas } = await loadAreas(broker);
    const own = areas.find((a) => a.id === areaId) ?? areas.find((a) => a.brokerUrl === broker.replace(/\/+$/, ''));
    return {
      id: areaId ?? own?.id ?? 'default',
      name: own?.name ?? areaId ?? 'default',
      brokerUrl: broker.replace(/\/+$/, ''),
    };
  }
  const { areas } = await loadAreas(config.cloudUrl);
  const area = areaId ? areas.find((a) => a.id === areaId) : areas.length === 1 ? areas[0] : undefined;
  if (!area) {
    throw new ActivationError(
      ActivationErrorCode.INVALID_INPUT,
      `choose an area with --area (${areas.map((a) => a.id).join(', ')}) or give --broker`,
    );
  }
  return area;
}

/** `main.js activate`: returns the exit code. */
export async function activateCommand(
  argv: readonly string[],
  config: ConnectorLocalConfig,
  out: Output = process.stdout,
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      area: { type: 'string' },
      broker: { type: 'string' },
      code: { type: 'string' },
      'local-app': { type: 'string' },
      'qr-wait-ms': { type: 'string' },
    },
    strict: true,
  });
  const stateFile = stateFileFor(config.keyFile);
  if (readActivationState(stateFile)) {
    throw new ActivationError(
      ActivationErrorCode.BUSY,
      `already activated (${stateFile}); deactivate it in the portal and remove that file to activate again`,
    );
  }
  const localAppUrl = parseLocalAppUrl(values['local-app'] ?? config.localAppUrl);
  if (!localAppUrl) throw new ActivationError(ActivationErrorCode.INVALID_INPUT, '--local-app must be an http:// URL');
  if (!fs.existsSync(path.resolve(config.keyFile))) generateConnectorKey(config.keyFile);
  const privateKey = loadConnectorKey(config.keyFile);
  const host = hostname();
  const area = await pickArea(config, values.area, values.broker);
  const cloud = new CloudClient({ brokerUrl: area.brokerUrl });

  // Which site this connector reaches, so the cloud can refuse one of another company at once.
  const siteHello = await fetchSiteHello(localAppUrl);
  let result: ActivatedConnector;
  if (values.code !== undefined) {
    result = await cloud.redeemActivationCode({
      code: values.code,
      publicKeyPem: publicKeyPem(privateKey),
      hostname: host,
      siteHello,
    });
  } else {
    const auth = await cloud.startDeviceAuthorization({
      publicKeyPem: publicKeyPem(privateKey),
      hostname: host,
      area: area.id,
      siteHello,
    });
    out.write(
      [
        `To activate this connector (${host}) in area ${area.name}:`,
        `  1. Open ${auth.verificationUri}`,
        `  2. Sign in (no account yet? ${cloud.registerUrl})`,
        `  3. Enter the code  ${auth.userCode}  and choose the company`,
        `The code expires at ${new Date(auth.expiresAt).toISOString()}. Waiting for approval...`,
        '',
      ].join('\n'),
    );
    result = await cloud.pollForActivation(auth);
  }

  // Connect once: the broker pushes the organisation QR over the new tunnel.
  const logger = createLogger('edge-connector', { level: 'warn' }, process.stderr);
  const runtime = new ConnectorRuntime({ config, privateKey, hostname: host, agentVersion: AGENT_VERSION, logger });
  runtime.activate(result, localAppUrl);
  out.write(`Activated: connector ${result.connectorId} in ${result.orgName} (area ${result.area}).\n`);
  const waitMs = Number(values['qr-wait-ms'] ?? 15_000);
  const deadline = Date.now() + (Number.isFinite(waitMs) ? waitMs : 15_000);
  while (!runtime.state?.orgQr && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const qr = runtime.state?.orgQr;
  await runtime.close();
  if (qr) {
    out.write(`Organisation QR code (the mobile app scans it):\n`);
    out.write(await QRCode.toString(qr.payload, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
    out.write(`\n${qr.payload}\n`);
  } else {
    out.write('The organisation QR code was not received yet; the local page shows it once the service is online.\n');
  }
  out.write(`Saved to ${stateFile}. Start (or restart) the connector service to bring the tunnel up.\n`);
  return 0;
}
