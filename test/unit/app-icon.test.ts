// The app's icon: an SVG source and the PNG sizes a desktop app needs, used by
// the window and by the page (the browser-mode favicon).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { windowIconPath, windowOptions } from '../../src-main/electron/window.ts';

const root = join(import.meta.dirname, '..', '..');
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

describe('app icon', () => {
  it('has the SVG and every PNG size, each a PNG of its size', () => {
    expect(readFileSync(join(root, 'resources/icon.svg'), 'utf8')).toContain('<svg');
    for (const size of SIZES) {
      const png = readFileSync(join(root, `resources/icon-${size}.png`));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    }
  });

  it('is the window icon, found from where the built main process runs', () => {
    const path = windowIconPath(join(root, 'out', 'main'));
    expect(existsSync(path)).toBe(true);
    expect(windowOptions('/p', path).icon).toBe(path);
  });

  it('is the page icon', () => {
    const html = readFileSync(join(root, 'src-renderer/index.html'), 'utf8');
    expect(html).toContain('rel="icon" type="image/svg+xml" href="../resources/icon.svg"');
    expect(html).toContain('href="../resources/icon-32.png"');
  });
});
