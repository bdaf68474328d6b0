import { ErrorDoc } from '@lanbridge/testing';
import { UPLINK_RELAY_STATUS } from './uplink-relay';

// docs/errors.md §5.6 lists every code the connector's uplink relay answers itself.

const doc = new ErrorDoc();

describe('uplink relay error codes are documented in docs/errors.md', () => {
  it('UplinkRelayErrorCode (§5.6)', () => {
    expect(doc.undocumented(UPLINK_RELAY_STATUS, /^5\.6 /, 'HTTP')).toEqual([]);
    expect(doc.invented(Object.keys(UPLINK_RELAY_STATUS), /^5\.6 /)).toEqual([]);
  });
});
