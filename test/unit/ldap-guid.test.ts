import { describe, expect, it } from 'vitest';
import { guidToBytes, guidToString, isGuidString } from '../../src-main/connectors/ldap/guid.ts';

describe('objectGUID', () => {
  // The example of MS-DTYP 2.3.4.2: bytes on the wire vs the string form.
  const bytes = Buffer.from([
    0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
  ]);
  const text = '00112233-4455-6677-8899-aabbccddeeff';

  it('turns the 16 bytes into the canonical string (first three groups byte-swapped)', () => {
    expect(guidToString(bytes)).toBe(text);
  });

  it('turns the string back into the bytes AD stores, braces and upper case accepted', () => {
    expect(guidToBytes(text)).toEqual(bytes);
    expect(guidToBytes(`{${text.toUpperCase()}}`)).toEqual(bytes);
  });

  it('round-trips random GUIDs', () => {
    for (let i = 0; i < 50; i++) {
      const b = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
      const s = guidToString(b);
      expect(isGuidString(s)).toBe(true);
      expect(guidToBytes(s)).toEqual(b);
    }
  });

  it('refuses wrong lengths and non-GUIDs', () => {
    expect(() => guidToString(Buffer.alloc(15))).toThrow(/16 bytes/);
    expect(() => guidToBytes('not-a-guid')).toThrow(/Not a GUID/);
  });
});
