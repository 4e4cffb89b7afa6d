// Accessibility scan with axe-core: no serious or critical violations.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    // Fluent UI's focus manager (tabster) adds invisible focus-trap sentinels; they are not content.
    .exclude('[data-tabster-dummy]').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ') + ' — ' + n.failureSummary).join('\n  ')}`);
  expect(bad, `accessibility violations on ${screen}`).toEqual([]);
}
