import { ErrorDoc } from '@lanbridge/testing';
import { PUSH_ERROR_STATUS } from '../push/push-error';
import { UPLINK_ERROR_STATUS } from './uplink-error';

// docs/errors.md lists every uplink and push code with the status it is sent with (§4.7, §4.8).

const doc = new ErrorDoc();

describe('uplink and push error codes are documented in docs/errors.md', () => {
  it('UplinkErrorCode (§4.7)', () => {
    expect(doc.undocumented(UPLINK_ERROR_STATUS, /^4\.7 /, 'HTTP')).toEqual([]);
    expect(doc.invented(Object.keys(UPLINK_ERROR_STATUS), /^4\.7 /)).toEqual([]);
  });

  it('PushErrorCode (§4.8)', () => {
    expect(doc.undocumented(PUSH_ERROR_STATUS, /^4\.8 /, 'HTTP')).toEqual([]);
    expect(doc.invented(Object.keys(PUSH_ERROR_STATUS), /^4\.8 /)).toEqual([]);
  });
});
