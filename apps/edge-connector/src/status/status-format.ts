import type { ConnectorStatusView } from './status.service';

/** Human summary for `main.js status`. */
export function formatStatus(s: ConnectorStatusView): string {
  const lines = [
    `${s.online ? 'Online' : 'Offline'} (${s.state})`,
    `  Connector:     ${s.connectorId}`,
    `  Broker:        ${s.brokerUrl}`,
    `  Local app:     ${s.localAppUrl}`,
    `  Session:       ${s.sessionId ?? '-'}${s.connectedSince ? ` since ${s.connectedSince}` : ''}`,
    `  RTT:           ${s.rttMs === null ? '-' : `${s.rttMs.toFixed(1)} ms`}`,
    `  Open streams:  ${s.openStreams}`,
    `  Reconnects:    ${s.reconnects}`,
    `  Last error:    ${s.lastError ? `${s.lastError.code} at ${s.lastError.at}: ${s.lastError.message}` : '-'}`,
  ];
  return lines.join('\n');
}
