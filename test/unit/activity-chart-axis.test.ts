// The dashboard chart's axis labels fit: 20,000 must not show as "0,000".
import { describe, expect, it } from 'vitest';
import { axisLabel, axisWidth } from '../../src-renderer/components/axis.ts';

describe('activity chart axis', () => {
  it('shortens large numbers and leaves room for the longest label', () => {
    const labels = [0, 6250, 12500, 18750, 25000].map(axisLabel);
    expect(labels.at(-1)).toMatch(/^25\s?K$/);
    // Each label fits the margin at the labels' size (about 6 px a character at font size 10).
    for (const l of labels) expect(l.length * 6 + 6).toBeLessThanOrEqual(axisWidth(labels));
    expect(axisLabel(1_500_000)).toMatch(/^1\.5\s?M$/);
  });
});
