import { verifySiteHello } from './site-jws';

/** A site hello is well under 2 KiB. */
const MAX_HELLO_LENGTH = 8192;

/** Why an activation into a company is refused when its site belongs to another one. */
export const SITE_ALREADY_CONNECTED_MESSAGE =
  'the server this connector reaches is already connected to another company; a site belongs to one company: ' +
  'have that company deactivate its connector first, or point this connector at your own server';

/**
 * The site a connector being activated reaches, from the hello it fetched from its local
 * application (with a nonce of its own): the thumbprint of the key that signed it. Undefined when
 * the connector sent none (not an access-core, or an older connector: the tunnel check decides
 * then); `invalid` when what it sent is not a valid, current site hello. Only a hint for an early
 * refusal: the broker's own hello through the tunnel is what records a site.
 */
export function activationSite(
  hello: unknown,
  now = Math.floor(Date.now() / 1000),
): { readonly thumbprint: string } | 'invalid' | undefined {
  if (hello === undefined || hello === '') return undefined;
  if (typeof hello !== 'string' || hello.length > MAX_HELLO_LENGTH) return 'invalid';
  const r = verifySiteHello(hello, { nonce: undefined, now });
  return r.ok ? { thumbprint: r.site.thumbprint } : 'invalid';
}
