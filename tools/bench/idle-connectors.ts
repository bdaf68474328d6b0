/**
 * Holds N idle connector tunnels open against a broker (for the memory-per-connector figure).
 * argv: <brokerUrl> <keys.json>  where keys.json = [{ connectorId, privateKeyPem }].
 * Each tunnel is a real one: WebSocket, Ed25519 challenge, session with pings.
 * Prints {"online":N} once every tunnel is up, then idles until SIGTERM.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import WebSocket from 'ws';
import {
  WS_SUBPROTOCOL_V1,
  connectorHandshake,
  createSession,
  wsTransport,
  type TunnelSession,
} from '@lanbridge/tunnel-protocol';

async function dial(brokerUrl: string, connectorId: string, privateKey: crypto.KeyObject): Promise<TunnelSession> {
  const ws = new WebSocket(brokerUrl, [WS_SUBPROTOCOL_V1], { perMessageDeflate: false });
  // Wrap at once: HELLO may arrive in the same read as the 101 response.
  const transport = wsTransport(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await connectorHandshake(transport, { connectorId, privateKey, agent: { version: 'bench', hostname: 'bench' } });
  const session = createSession(transport, 'connector');
  session.on('stream', (s) => s.reset('TUNNEL_ERR_STREAM_REFUSED'));
  return session;
}

async function main(): Promise<void> {
  const [brokerUrl, keysFile] = process.argv.slice(2);
  if (!brokerUrl || !keysFile) throw new Error('usage: idle-connectors <brokerUrl> <keys.json>');
  const keys = JSON.parse(fs.readFileSync(keysFile, 'utf8')) as { connectorId: string; privateKeyPem: string }[];
  const sessions: TunnelSession[] = [];
  // Dial in batches of 50 so the broker sees a trickle, not one SYN storm.
  for (let i = 0; i < keys.length; i += 50) {
    const batch = keys.slice(i, i + 50);
    sessions.push(
      ...(await Promise.all(
        batch.map((k) => dial(brokerUrl, k.connectorId, crypto.createPrivateKey(k.privateKeyPem))),
      )),
    );
  }
  let closed = 0;
  for (const s of sessions) s.once('close', () => closed++);
  process.stdout.write(JSON.stringify({ online: sessions.length - closed }) + '\n');
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => {
    if (closed > 0) process.stderr.write(`idle-connectors: ${closed} tunnels closed\n`);
  }, 5000);
}

main().catch((err: unknown) => {
  process.stderr.write(`idle-connectors: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
