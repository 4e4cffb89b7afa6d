// The HTTP plumbing browser mode and the reset portal share: the body reader,
// the constant-time compare, cookie parsing, the security headers and the
// one HTML escaper.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { readBody } from '../../src-main/http/body.ts';
import { safeEqual } from '../../src-main/http/compare.ts';
import { cookieValues } from '../../src-main/http/cookies.ts';
import { APP_CSP, COMMON_SECURITY_HEADERS, PORTAL_CSP } from '../../src-main/http/headers.ts';
import { escapeHtml } from '../../src-main/http/html.ts';

function request(...chunks: string[]): IncomingMessage {
  const stream = new PassThrough();
  for (const c of chunks) stream.write(Buffer.from(c, 'utf8'));
  stream.end();
  return stream as unknown as IncomingMessage;
}

describe('readBody', () => {
  it('joins the chunks as UTF-8 text, up to and including the limit', async () => {
    expect(await readBody(request('grüß', 'e'), 7)).toBe('grüße'); // 7 bytes
    expect(await readBody(request(''), 6)).toBe('');
  });

  it('gives undefined for a body over the limit, after reading it to the end', async () => {
    const req = request('12345', '67');
    expect(await readBody(req, 6)).toBeUndefined();
    expect((req as unknown as PassThrough).readableEnded).toBe(true);
  });

  it('rejects when the request fails', async () => {
    const stream = new PassThrough();
    const body = readBody(stream as unknown as IncomingMessage, 10);
    stream.destroy(new Error('socket hang up'));
    await expect(body).rejects.toThrow('socket hang up');
  });
});

describe('safeEqual', () => {
  it('is true only for the same text', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});

describe('cookieValues', () => {
  it('returns every value of the name, in header order, whatever the spacing', () => {
    expect(cookieValues('a=1; pd=x;pd=y ;  b=2', 'pd')).toEqual(['x', 'y']);
  });

  it('keeps an = inside the value and leaves out empty values and other names', () => {
    expect(cookieValues('pd=a=b; pd=; pdx=z; xpd=w', 'pd')).toEqual(['a=b']);
  });

  it('gives nothing without a header', () => {
    expect(cookieValues(undefined, 'pd')).toEqual([]);
    expect(cookieValues('', 'pd')).toEqual([]);
  });
});

describe('security headers', () => {
  it('both servers forbid sniffing, referrers, framing and caching', () => {
    expect(COMMON_SECURITY_HEADERS).toEqual({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
  });

  it('the app talks to its own origin only; the portal runs no inline script and fetches nothing', () => {
    expect(APP_CSP).toContain("connect-src 'self'");
    expect(APP_CSP).toContain("frame-ancestors 'none'");
    expect(PORTAL_CSP).toContain("default-src 'none'");
    expect(PORTAL_CSP).toContain("script-src 'self'");
    expect(PORTAL_CSP).toContain("connect-src 'none'");
    expect(PORTAL_CSP).not.toContain('unsafe-inline');
  });
});

describe('escapeHtml', () => {
  it('escapes what ends a tag, an attribute or an entity, and the old attribute delimiters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`=</a>`)).toBe(
      '&#60;a href&#61;&#34;x&#34; title&#61;&#39;y&#39;&#62;&#38;&#96;&#61;&#60;/a&#62;',
    );
    expect(escapeHtml('Grüße, Zoë')).toBe('Grüße, Zoë');
  });
});
