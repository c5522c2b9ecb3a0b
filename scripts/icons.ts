// Draws the extension icon and one icon per task (128x128 PNG, blue/green motif) without any image
// library or network: shapes are tested per sub-pixel (4x4 supersampling) and encoded with node:zlib.
// Run once with `node dist/scripts/icons.js`; the PNGs are committed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

type RGBA = [number, number, number, number];
type Shape = (x: number, y: number) => boolean;
interface Layer {
  shape: Shape;
  color: RGBA;
}

const SIZE = 128;
const BLUE: RGBA = [30, 111, 217, 255];
const GREEN: RGBA = [46, 164, 79, 255];
const WHITE: RGBA = [255, 255, 255, 255];
const RED: RGBA = [215, 58, 73, 255];
const TILE: RGBA = [16, 36, 64, 255];

const circle = (cx: number, cy: number, r: number): Shape => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx: number, cy: number, r: number, width: number): Shape => (x, y) => {
  const d = Math.hypot(x - cx, y - cy);
  return d <= r && d >= r - width;
};
/** A thick line with round ends. */
const segment = (x1: number, y1: number, x2: number, y2: number, width: number): Shape => (x, y) => {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) <= width / 2;
};
const triangle = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): Shape => (x, y) => {
  const side = (px: number, py: number, qx: number, qy: number): number => (qx - px) * (y - py) - (qy - py) * (x - px);
  const s1 = side(ax, ay, bx, by);
  const s2 = side(bx, by, cx, cy);
  const s3 = side(cx, cy, ax, ay);
  return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
};
const roundedSquare = (radius: number): Shape => (x, y) => {
  const qx = Math.max(radius - x, 0, x - (SIZE - radius));
  const qy = Math.max(radius - y, 0, y - (SIZE - radius));
  return qx * qx + qy * qy <= radius * radius;
};

const tile: Layer = { shape: roundedSquare(22), color: TILE };

const ICONS: Record<string, Layer[]> = {
  // Two slots side by side, overlapping: the extension.
  extension: [
    tile,
    { shape: circle(48, 64, 32), color: BLUE },
    { shape: circle(80, 64, 32), color: [GREEN[0], GREEN[1], GREEN[2], 215] },
  ],
  // Production blue, a new green slot being added.
  Deploy: [
    tile,
    { shape: circle(40, 64, 24), color: BLUE },
    { shape: ring(88, 64, 26, 7), color: GREEN },
    { shape: segment(88, 50, 88, 78, 8), color: WHITE },
    { shape: segment(74, 64, 102, 64, 8), color: WHITE },
  ],
  // Traffic flowing from blue to green.
  RouteTraffic: [
    tile,
    { shape: circle(30, 64, 18), color: BLUE },
    { shape: circle(98, 64, 18), color: GREEN },
    { shape: segment(50, 64, 68, 64, 9), color: WHITE },
    { shape: triangle(66, 48, 66, 80, 80, 64), color: WHITE },
  ],
  // Green promoted: a check mark on green.
  OnSuccess: [
    tile,
    { shape: circle(64, 64, 42), color: GREEN },
    { shape: segment(42, 66, 57, 81, 12), color: WHITE },
    { shape: segment(57, 81, 87, 48, 12), color: WHITE },
  ],
  // Green rejected, blue stays.
  OnFailure: [
    tile,
    { shape: circle(42, 64, 28), color: BLUE },
    { shape: ring(90, 64, 24, 6), color: GREEN },
    { shape: segment(76, 50, 104, 78, 9), color: RED },
    { shape: segment(104, 50, 76, 78, 9), color: RED },
  ],
};

function render(layers: Layer[]): Buffer {
  const samples = 4;
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      const sum: [number, number, number, number] = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = px + (sx + 0.5) / samples;
          const y = py + (sy + 0.5) / samples;
          let [r, g, b, a] = [0, 0, 0, 0];
          for (const layer of layers) {
            if (!layer.shape(x, y)) continue;
            const la = layer.color[3] / 255;
            const out = la + a * (1 - la);
            r = (layer.color[0] * la + r * a * (1 - la)) / out;
            g = (layer.color[1] * la + g * a * (1 - la)) / out;
            b = (layer.color[2] * la + b * a * (1 - la)) / out;
            a = out;
          }
          sum[0] += r * a;
          sum[1] += g * a;
          sum[2] += b * a;
          sum[3] += a;
        }
      }
      const i = (py * SIZE + px) * 4;
      const alpha = sum[3] / (samples * samples);
      pixels[i] = sum[3] ? Math.round(sum[0] / sum[3]) : 0;
      pixels[i + 1] = sum[3] ? Math.round(sum[1] / sum[3]) : 0;
      pixels[i + 2] = sum[3] ? Math.round(sum[2] / sum[3]) : 0;
      pixels[i + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  // `& 0xff` keeps the index inside the 256-entry table.
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** PNG, 8-bit RGBA, no interlace; each scanline with filter type 0. */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  for (const [name, layers] of Object.entries(ICONS)) {
    const file = name === 'extension' ? path.join(root, 'images', 'extension-icon.png') : path.join(root, 'tasks', name, 'icon.png');
    fs.writeFileSync(file, encodePng(SIZE, SIZE, render(layers)));
    console.log(`wrote ${path.relative(root, file)}`);
  }
}
