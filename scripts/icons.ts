// Renders resources/icon.svg to the PNG sizes a desktop app needs
// (resources/icon-<size>.png), with the Chromium the tests use: no image
// library to install. Run after changing the SVG: node scripts/icons.ts
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

const dir = join(import.meta.dirname, '..', 'resources');
const svg = readFileSync(join(dir, 'icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
try {
  const page = await browser.newPage();
  for (const size of ICON_SIZES) {
    await page.setViewportSize({ width: size, height: size });
    const sized = svg.replace(/width="256" height="256"/, `width="${size}" height="${size}"`);
    await page.setContent(`<html><body style="margin:0;background:transparent">${sized}</body></html>`);
    await page.locator('svg').screenshot({ path: join(dir, `icon-${size}.png`), omitBackground: true });
  }
} finally {
  await browser.close();
}
