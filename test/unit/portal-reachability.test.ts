// Activation links must open for the people who get them: the portal's public
// address is neither loopback nor link-local, and answers with the portal's certificate.
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { certificateMismatch, localOnlyReason } from '../../src-main/onboarding/portal/reachability.ts';

describe('portal public address', () => {
  it('names loopback, link-local and unspecified addresses; accepts names and routable addresses', () => {
    for (const url of [
      'https://127.0.0.1:8443',
      'https://127.1.2.3',
      'https://localhost:8443',
      'https://portal.localhost',
      'https://[::1]:8443',
      'https://[::ffff:127.0.0.1]',
    ])
      expect(localOnlyReason(url), url).toMatch(/loopback|only this computer/);
    for (const url of ['https://169.254.10.20:8443', 'https://[fe80::1]:8443'])
      expect(localOnlyReason(url), url).toMatch(/link-local/);
    expect(localOnlyReason('https://0.0.0.0:8443')).toMatch(/not an address/);
    for (const url of [
      'https://reset.example.com',
      'https://10.0.0.5:8443',
      'https://[2001:db8::5]',
      'https://192.0.2.2',
    ])
      expect(localOnlyReason(url), url).toBeUndefined();
  });

  let server: Server;
  let port: number;
  let portalCert: string;
  let otherCert: string;
  beforeAll(async () => {
    const pair = await generateSelfSigned(['127.0.0.1']);
    portalCert = pair.certPem;
    otherCert = (await generateSelfSigned(['127.0.0.1'])).certPem;
    server = createServer({ key: pair.keyPem, cert: pair.certPem }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('says whether the address answers with the portal certificate, another one, or nothing', async () => {
    expect(await certificateMismatch(`https://127.0.0.1:${port}`, portalCert)).toBeUndefined();
    expect(await certificateMismatch(`https://127.0.0.1:${port}`, otherCert)).toEqual({
      answered: true,
      reason: expect.stringMatching(/another certificate/),
    });
    const closed = await new Promise<number>((r) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    expect(await certificateMismatch(`https://127.0.0.1:${closed}`, portalCert)).toEqual({
      answered: false,
      reason: 'nothing answers there',
    });
  });
});
