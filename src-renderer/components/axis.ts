// The chart's value axis, kept free of React so it can be unit-tested.

/** Width of one axis digit at the labels' font size, generously: a label must never be cut. */
const CHAR_W = 6.5;

/** Axis labels short enough to fit: 20,000 → "20K", 1,500,000 → "1.5M". */
export function axisLabel(n: number): string {
  return new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** Left margin that fits the longest axis label (plus the gap to the plot). */
export function axisWidth(labels: string[]): number {
  return Math.ceil(Math.max(...labels.map((l) => l.length)) * CHAR_W) + 12;
}

export function niceMax(n: number): number {
  if (n <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}
