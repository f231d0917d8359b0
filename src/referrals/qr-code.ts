import { toBuffer, toString } from 'qrcode';

export interface QrImage {
  contentType: 'image/svg+xml' | 'image/png';
  body: string | Buffer;
}

/** A QR code for print and screens: error correction M, a quiet zone of 2 modules. */
export async function renderQr(link: string, format: 'svg' | 'png'): Promise<QrImage> {
  const options = { errorCorrectionLevel: 'M' as const, margin: 2 };
  if (format === 'png') {
    return {
      contentType: 'image/png',
      body: await toBuffer(link, { ...options, type: 'png', width: 512 }),
    };
  }
  return { contentType: 'image/svg+xml', body: await toString(link, { ...options, type: 'svg' }) };
}
