/**
 * @lanbridge/mobile-sdk/node: everything of the SDK plus the parts that need Node (PNG decoding,
 * the CLI's state file) and a client wired to `ws`.
 */
import WebSocket from 'ws';
import { LanbridgeClient, type LanbridgeClientOptions } from './client';

export * from './index';
export { decodeQrImage } from './node/qr-image';
export { defaultStatePath, StateFile, type MobileState } from './node/state-file';

/** A LanbridgeClient using the `ws` package for the live stream (Node has no global WebSocket before 22). */
export function createNodeClient(options: LanbridgeClientOptions = {}): LanbridgeClient {
  return new LanbridgeClient({ WebSocket, ...options });
}
