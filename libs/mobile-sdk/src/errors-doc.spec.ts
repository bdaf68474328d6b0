import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SdkErrorCode } from './errors';

describe('docs/errors.md §8 lists the SDK error codes', () => {
  it('has a row for every SdkErrorCode and none for codes the SDK does not have', () => {
    const md = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');
    const section = md.split(/^## /m).find((s) => s.startsWith('8. Mobile SDK')) ?? '';
    const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual(Object.values(SdkErrorCode).sort());
  });
});
