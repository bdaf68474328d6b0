/**
 * QR decoding: the platform's BarcodeDetector where the browser has one (Android Chrome, Safari
 * 17+), else jsQR (pure JavaScript, no WebAssembly to fetch from another origin, which the app's
 * CSP would refuse). Both are loaded only when the user scans.
 */
interface Detector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}

let detector: Promise<Detector | undefined> | undefined;

function nativeDetector(): Promise<Detector | undefined> {
  detector ??= (async () => {
    const BD = (
      globalThis as { BarcodeDetector?: { new (o: object): Detector; getSupportedFormats(): Promise<string[]> } }
    ).BarcodeDetector;
    if (!BD) return undefined;
    try {
      return (await BD.getSupportedFormats()).includes('qr_code') ? new BD({ formats: ['qr_code'] }) : undefined;
    } catch {
      return undefined;
    }
  })();
  return detector;
}

/** The text of the first QR code in the picture, or undefined. */
export async function decodeQr(source: HTMLVideoElement | HTMLImageElement | ImageBitmap): Promise<string | undefined> {
  const native = await nativeDetector();
  if (native) {
    const found = await native.detect(source);
    if (found[0]?.rawValue) return found[0].rawValue;
  }
  const w = 'videoWidth' in source ? source.videoWidth : 'naturalWidth' in source ? source.naturalWidth : source.width;
  const h =
    'videoHeight' in source ? source.videoHeight : 'naturalHeight' in source ? source.naturalHeight : source.height;
  if (!w || !h) return undefined;
  const scale = Math.min(1, 1600 / Math.max(w, h));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return undefined;
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const { default: jsQR } = await import('jsqr');
  return jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' })?.data || undefined;
}
