/** Reading a QR code out of a PNG (Node: pngjs + jsqr). */
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { LanbridgeError, SdkErrorCode } from '../errors';

/** Largest image accepted, in pixels (a photo of a printed QR is far smaller). */
const MAX_PIXELS = 40_000_000;

/** The text of the first QR code found in a PNG. Throws QR_INVALID when there is none. */
export function decodeQrImage(png: Uint8Array): string {
  let img: PNG;
  try {
    img = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  } catch (err) {
    throw new LanbridgeError(SdkErrorCode.QR_INVALID, 'the file is not a readable PNG image', { cause: err });
  }
  if (img.width * img.height > MAX_PIXELS) {
    throw new LanbridgeError(SdkErrorCode.QR_INVALID, `the image is too large (${img.width}×${img.height})`);
  }
  const code = jsQR(
    new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.byteLength),
    img.width,
    img.height,
    {
      inversionAttempts: 'attemptBoth',
    },
  );
  if (!code || code.data === '') throw new LanbridgeError(SdkErrorCode.QR_INVALID, 'no QR code found in the image');
  return code.data;
}
