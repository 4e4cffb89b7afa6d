// objectGUID (16 bytes, little-endian first three fields as Windows stores
// them) ↔ the canonical string form 01234567-89ab-cdef-0123-456789abcdef that
// Active Directory tools show. The byte order of the first three groups is
// swapped: string byte k comes from buffer byte ORDER[k].
const ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

const guidRe = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

export function isGuidString(s: string): boolean {
  return guidRe.test(s.trim());
}

/** 16 objectGUID bytes → lower-case canonical GUID string. */
export function guidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`An objectGUID has 16 bytes, this value has ${bytes.length}.`);
  let hex = '';
  for (const i of ORDER) hex += (bytes[i] as number).toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Canonical GUID string (with or without braces) → the 16 bytes AD stores. */
export function guidToBytes(guid: string): Buffer {
  const m = guidRe.exec(guid.trim());
  if (!m) throw new Error(`Not a GUID: ${guid}`);
  const hex = m.slice(1).join('');
  const str = Buffer.from(hex, 'hex');
  const out = Buffer.alloc(16);
  ORDER.forEach((src, k) => {
    out[src] = str[k] as number;
  });
  return out;
}
