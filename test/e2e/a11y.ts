// Accessibility scan with axe-core: no serious or critical violations.
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    // Fluent UI's focus manager (tabster) adds invisible focus-trap sentinels; they are not content.
    .exclude('[data-tabster-dummy]')
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ') + ' — ' + n.failureSummary).join('\n  ')}`,
    );
  expect(bad, `accessibility violations on ${screen}`).toEqual([]);
}

/**
 * A screenshot of the whole screen: the app scrolls inside <main>, so the
 * viewport is made as tall as the content for the picture, then restored.
 */
export async function screenshot(page: Page, path: string): Promise<void> {
  // Earlier results pile up as notices; the picture is of the screen itself.
  const dismiss = page.getByRole('status').getByRole('button', { name: 'Dismiss' });
  for (let n = await dismiss.count(); n > 0; n--) await dismiss.first().click();
  const size = page.viewportSize() ?? { width: 1366, height: 860 };
  // A string, so this file type-checks without the DOM library.
  const height = (await page.evaluate(
    "(() => { const m = document.querySelector('main'); return m ? m.scrollHeight + 40 : document.documentElement.scrollHeight; })()",
  )) as number;
  if (height > size.height) await page.setViewportSize({ width: size.width, height: Math.min(height, 6000) });
  await page.screenshot({ path, fullPage: true });
  await page.setViewportSize(size);
}
