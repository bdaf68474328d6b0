import { json } from 'body-parser';

/** Routes whose JSON bodies carry base64 photos, so they get a larger limit than the global 100 kB. */
export const UPLOAD_ROUTES = ['/api/v1/visits', '/api/v1/people'];

/**
 * The JSON parser for UPLOAD_ROUTES: three photos of MOBILE_PHOTO_MAX_BYTES in base64 plus the
 * form. Registered before the global parser, which then skips the already-parsed body.
 */
export function uploadBodyParser(photoMaxBytes: number): ReturnType<typeof json> {
  return json({ limit: Math.ceil((photoMaxBytes * 3 * 4) / 3) + 64 * 1024 });
}
