import QRCode from 'qrcode';
import { LanbridgeError, SdkErrorCode } from '../errors';
import { decodeQrImage } from './qr-image';

describe('decodeQrImage', () => {
  it('reads the organisation QR text back from a PNG', async () => {
    const text = `https://sg.lanbridge.example/o#${'eyJhbGciOiJFZERTQSJ9'}.${'x'.repeat(400)}.${'s'.repeat(86)}`;
    const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 4 });
    expect(decodeQrImage(new Uint8Array(png))).toBe(text);
  });

  it('refuses a file that is not a PNG, and a PNG without a QR code', async () => {
    expect(() => decodeQrImage(new TextEncoder().encode('not a png'))).toThrow(
      expect.objectContaining({ code: SdkErrorCode.QR_INVALID, message: 'the file is not a readable PNG image' }),
    );
    const { PNG } = await import('pngjs');
    const blank = new PNG({ width: 64, height: 64 });
    blank.data.fill(255);
    const err = (() => {
      try {
        decodeQrImage(PNG.sync.write(blank));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LanbridgeError);
    expect((err as LanbridgeError).message).toBe('no QR code found in the image');
  });
});
