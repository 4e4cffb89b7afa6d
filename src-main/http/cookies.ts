// Reads cookies from a Cookie request header. A name may come more than once
// (a cookie per path or domain): every value is returned, in header order, and
// the caller decides which one it trusts.

/** The values of every cookie called `name` (the text after the first '='), empty ones left out. */
export function cookieValues(header: string | undefined, name: string): string[] {
  const out: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const [k, v] = part.trim().split(/=(.*)/s) as [string, string?];
    if (k === name && v) out.push(v);
  }
  return out;
}
