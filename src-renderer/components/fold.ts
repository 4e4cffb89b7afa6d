// Search text as admins type it: case and accents ignored, so "muller" finds
// "Müller" and "jose" finds "José". Kept free of React for unit tests.

const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/** Lower case without diacritics; letters that do not decompose are spelled out. */
export function fold(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[ßæœøłđðþı]/g, (c) => LETTERS[c] ?? c);
}

/** Names and numbers in the order a person expects ("User 2" before "User 10", "Émile" with the Es). */
export const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
