// Column layout of the virtualised tables, kept free of React so it can be unit-tested.

/** The grid track of one column and the least width it needs: a fixed length
 * stays as it is, a percentage becomes a fraction with a floor. */
export function columnTrack(c: { header: string; width: string }): { track: string; floor: number } {
  const share = /(\d+(?:\.\d+)?)%/.exec(c.width);
  if (!share) return { track: c.width, floor: parseFloat(c.width) || 0 };
  // About 10 px per semibold header character plus the cell padding: the header stays whole,
  // and no share column gets narrower than a short e-mail address or a date.
  const floor = Math.max(96, c.header.length * 10 + 24);
  return { track: `minmax(${floor}px, ${share[1]}fr)`, floor };
}
