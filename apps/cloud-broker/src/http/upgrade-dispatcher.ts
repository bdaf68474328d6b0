import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BrokerErrorCode } from '../common/broker-error';
import { INGRESS_PREFIX, type IngressHandler } from '../ingress/ingress.handler';
import { TUNNEL_PATH, type TunnelServer } from '../tunnel/tunnel.server';
import { writeSocketError } from './raw-response';

/** The one owner of the http server's 'upgrade' event: tunnels, ingress WebSockets, else 404. */
export function createUpgradeDispatcher(
  tunnel: TunnelServer,
  ingress: IngressHandler,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    // After 'upgrade' the http server no longer watches the socket; a reset must not crash us.
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    if (url.startsWith(INGRESS_PREFIX)) {
      ingress.handleUpgrade(req, socket, head);
      return;
    }
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) === TUNNEL_PATH) {
      tunnel.handleUpgrade(req, socket, head);
      return;
    }
    writeSocketError(socket, 404, { code: BrokerErrorCode.NOT_FOUND, message: 'no WebSocket endpoint here' });
  };
}
