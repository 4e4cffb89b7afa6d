// The Post-Read control (src-main/connectors/ldap/bulk.ts): a well-formed
// answer gives the added entry; a malformed one is dropped (the created entry
// is then read back) instead of failing the add it came with.
import { BerReader, BerWriter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { BerDecodeError } from '../../src-main/connectors/ldap/ber.ts';
import { decodePostReadEntry, PostReadControl } from '../../src-main/connectors/ldap/bulk.ts';

/** A SearchResultEntry value: [APPLICATION 4] { dn, { { type, { value } } } }. */
function entryValue(dn: string, type: string, value: string): Buffer {
  const w = new BerWriter();
  w.startSequence(0x64);
  w.writeString(dn);
  w.startSequence();
  w.startSequence();
  w.writeString(type);
  w.startSequence(0x31);
  w.writeString(value);
  w.endSequence();
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

describe('Post-Read control', () => {
  it('reads the entry the server sent back', () => {
    const c = new PostReadControl(['entryUUID']);
    c.parse(new BerReader(entryValue('uid=a,ou=People,dc=example,dc=test', 'entryUUID', '1234')));
    expect(c.entry).toMatchObject({ dn: 'uid=a,ou=People,dc=example,dc=test', entryUUID: '1234' });
  });

  it('keeps the binary attributes as bytes', () => {
    const e = decodePostReadEntry(entryValue('cn=x,dc=test', 'objectGUID', 'abcd'), ['objectguid']);
    expect(Buffer.isBuffer(e.objectGUID)).toBe(true);
    expect((e.objectGUID as Buffer).toString()).toBe('abcd');
  });

  it('refuses malformed values (every length checked)', () => {
    const whole = entryValue('uid=a,dc=test', 'entryUUID', '1234');
    for (const bad of [
      Buffer.alloc(0),
      whole.subarray(0, 6),
      whole.subarray(0, whole.length - 1),
      Buffer.from('3000', 'hex'),
      Buffer.concat([whole, whole]),
    ]) {
      expect(() => decodePostReadEntry(bad, []), bad.toString('hex')).toThrow(BerDecodeError);
    }
  });

  it('drops a value cut short instead of throwing', () => {
    const whole = entryValue('uid=a,ou=People,dc=example,dc=test', 'entryUUID', '1234');
    for (const cut of [whole.subarray(0, 6), whole.subarray(0, whole.length - 3), Buffer.from('6405040178', 'hex')]) {
      const c = new PostReadControl(['entryUUID']);
      expect(() => c.parse(new BerReader(cut))).not.toThrow();
      expect(c.entry).toBeUndefined();
    }
  });
});
