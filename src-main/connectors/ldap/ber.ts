// A tiny BER reader for the control values the connector decodes itself
// (ppolicy.ts, the Post-Read entry in bulk.ts): definite lengths only, as
// LDAP requires, and every length checked against the bytes that are there,
// so a value cut short or lying about its size is refused, never over-read.
// (ldapts' own entry parser loops without end on such a value.)

export class BerDecodeError extends Error {
  constructor(message: string) {
    super(`Malformed BER value: ${message}`);
    this.name = 'BerDecodeError';
  }
}

export interface Tlv {
  tag: number;
  value: Uint8Array;
}

/** Reads the TLVs of a BER buffer one after another; `Err` is the error thrown on malformed bytes. */
export function* tlvs(buf: Uint8Array, Err: new (message: string) => Error = BerDecodeError): Generator<Tlv> {
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++]!;
    if ((tag & 0x1f) === 0x1f) throw new Err('multi-byte tags are not used here');
    if (i >= buf.length) throw new Err('length missing');
    let len = buf[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new Err(n === 0 ? 'indefinite length' : 'length too long');
      if (i + n > buf.length) throw new Err('length cut short');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++]!;
    }
    if (i + len > buf.length) throw new Err('value cut short');
    yield { tag, value: buf.subarray(i, i + len) };
    i += len;
  }
}
