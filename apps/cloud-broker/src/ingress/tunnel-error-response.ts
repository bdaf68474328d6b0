import { TunnelError, TunnelErrorCode } from '@lanbridge/tunnel-protocol';

export function tunnelCodeOf(err: unknown): TunnelErrorCode {
  return err instanceof TunnelError ? err.code : TunnelErrorCode.INTERNAL;
}

/** The connector is draining or full: another connector of the org may take the request. */
export function isRefusal(code: TunnelErrorCode): boolean {
  return (
    code === TunnelErrorCode.GOING_AWAY ||
    code === TunnelErrorCode.STREAM_REFUSED ||
    code === TunnelErrorCode.STREAM_LIMIT
  );
}

/**
 * HTTP status and client-facing message for a stream that failed before its response head.
 * Messages are fixed: the connector's own reset text may name hosts inside the customer's LAN.
 */
export function tunnelFailure(code: TunnelErrorCode): { status: number; message: string } {
  switch (code) {
    case TunnelErrorCode.UPSTREAM_UNREACHABLE:
      return { status: 502, message: 'the connector could not reach the application' };
    case TunnelErrorCode.UPSTREAM_TIMEOUT:
      return { status: 504, message: 'the application did not answer in time' };
    case TunnelErrorCode.GOING_AWAY:
    case TunnelErrorCode.STREAM_REFUSED:
    case TunnelErrorCode.STREAM_LIMIT:
      return { status: 503, message: 'no connector of this organization can take the request now' };
    case TunnelErrorCode.HEADER_TOO_LARGE:
      return { status: 431, message: 'request head too large for the tunnel' };
    case TunnelErrorCode.CONNECTION_LOST:
    case TunnelErrorCode.TIMEOUT:
    case TunnelErrorCode.REPLACED:
    case TunnelErrorCode.REVOKED:
    case TunnelErrorCode.SITE_CLAIMED:
      return { status: 502, message: 'the tunnel to the connector went away' };
    case TunnelErrorCode.PROTOCOL:
    case TunnelErrorCode.FRAME_TOO_LARGE:
    case TunnelErrorCode.FLOW_CONTROL:
    case TunnelErrorCode.VERSION:
    case TunnelErrorCode.AUTH_FAILED:
    case TunnelErrorCode.AUTH_STALE:
    case TunnelErrorCode.CANCELLED:
    case TunnelErrorCode.INTERNAL:
      return { status: 502, message: 'the tunnel failed' };
  }
}
