// RFC 4514 corner cases: every DN the connector stores must parse back to the
// same RDNs, and a string value is never mistaken for a BER (#hex) value.
import { describe, expect, it } from 'vitest';
import {
  canonicalDn,
  escapeDnValue,
  formatDn,
  parseDn,
  unescapeDnValue,
} from '../../src-main/connectors/ldap/escape.ts';

const base = 'ou=People,dc=example,dc=test';

describe('canonicalDn keeps a string value a string', () => {
  it.each(['#42', '#2024', '#BEEF', '#', '#abc'])('leading # in %s stays escaped', (v) => {
    const dn = `cn=\\${v},${base}`;
    expect(canonicalDn(dn)).toBe(`cn=${escapeDnValue(v)},${base}`);
    expect(canonicalDn(dn).startsWith('cn=\\#')).toBe(true);
    expect(parseDn(canonicalDn(dn))[0]).toEqual([{ type: 'cn', value: v }]);
  });

  it('keeps a real BER value as written', () => {
    expect(canonicalDn(`1.3.6.1.4.1.1466.0=#04024869,${base}`)).toBe(`1.3.6.1.4.1.1466.0=#04024869,${base}`);
    expect(parseDn('cn=#04024869')[0]?.[0]).toMatchObject({ value: '#04024869', ber: true });
  });
});

describe('characters outside the BMP survive', () => {
  const values = ['walk,=+<>#;\\"😀', '😀', '\\😀', ',😀', '"😀"', 'a\u{1F600}b\u{10FFFF}c', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢, Inc.', '#😀'];
  it.each(values)('%s round-trips through escape, parse and canonicalDn', (v) => {
    const dn = `uid=${escapeDnValue(v)},${base}`;
    expect(unescapeDnValue(escapeDnValue(v))).toBe(v);
    expect(parseDn(dn)[0]).toEqual([{ type: 'uid', value: v }]);
    expect(canonicalDn(dn)).toBe(dn);
    expect(canonicalDn(dn)).not.toContain('\uFFFD');
  });

  it('decodes a server-written escaped emoji and an escaped surrogate pair alike', () => {
    // slapd may hex-escape the UTF-8 bytes; AD may backslash the character itself.
    expect(parseDn('cn=a\\F0\\9F\\98\\80b')[0]?.[0]?.value).toBe('a😀b');
    expect(parseDn('cn=\\,\\😀')[0]?.[0]?.value).toBe(',😀');
  });
});

describe('RFC 4514 corner cases', () => {
  const cases: Array<[string, string]> = [
    ['leading space', ' lead'],
    ['trailing space', 'trail '],
    ['only spaces', '   '],
    ['leading # and trailing space', '#1 '],
    ['NUL', 'nul\u0000byte'],
    ['control characters', 'tab\there\nnewline'],
    ['DEL', 'del\u007f'],
    ['non-ASCII', 'Zoë Ångström 山田 Łukasz'],
    ['RTL mark and confusables', '\u202Eadmin\u202C Аdmin'],
    ['all specials', ',+"\\<>;=#'],
    ['backslash at the end', 'ends\\'],
    ['equals', 'a=b'],
  ];
  it.each(cases)('%s', (_name, v) => {
    const dn = `cn=${escapeDnValue(v)},${base}`;
    const rdns = parseDn(dn);
    expect(rdns[0]).toEqual([{ type: 'cn', value: v }]);
    expect(formatDn(rdns)).toBe(dn);
    expect(parseDn(canonicalDn(dn))).toEqual(rdns);
  });

  it('multi-valued RDNs keep their parts and order', () => {
    const dn = `cn=${escapeDnValue('#7')}+uid=${escapeDnValue('a+b')}+sn=x,${base}`;
    expect(parseDn(dn)[0]).toEqual([
      { type: 'cn', value: '#7' },
      { type: 'uid', value: 'a+b' },
      { type: 'sn', value: 'x' },
    ]);
    expect(canonicalDn(dn)).toBe(dn);
  });

  it('spellings servers send come out as one canonical DN that parses back the same', () => {
    const spellings = ['cn=Smith\\2C John,ou=People', 'cn=Smith\\, John, ou=People', 'cn="Smith, John",ou=People'];
    const out = spellings.map(canonicalDn);
    expect(new Set(out).size).toBe(1);
    expect(out[0]).toBe('cn=Smith\\, John,ou=People');
  });
});
