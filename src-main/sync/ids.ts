// Time-ordered ids (UUID version 7, RFC 9562) for objects an import creates in
// bulk: 100,000 new users land at the end of the id-keyed B-trees (users,
// links, memberships) instead of at random places in them. Monotonic within
// the process: the 12-bit counter orders ids made in the same millisecond.
import { randomUUID } from 'node:crypto';

let lastMs = 0;
let seq = 0;

export function orderedId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    if (++seq > 0xfff) {
      ms = ++lastMs;
      seq = 0;
    }
  } else {
    lastMs = ms;
    seq = 0;
  }
  const t = ms.toString(16).padStart(12, '0');
  // randomUUID()'s last 17 characters: the variant nibble and 62 random bits.
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${seq.toString(16).padStart(3, '0')}-${randomUUID().slice(19)}`;
}
