// The portal's certificate: the admin's own (certificate chain + key), or a
// self-signed one generated with the openssl command line. Facts for the
// Settings page come from node:crypto's X509Certificate.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type { CertificateInfo } from '../../../src-preload/contract/onboarding.ts';
import { AppError } from '../../errors.ts';

export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/** A self-signed certificate (P-256, 397 days) for these names and addresses. */
export async function generateSelfSigned(hostnames: string[], days = 397): Promise<CertificatePair> {
  const names = [...new Set(hostnames.map((h) => h.trim()).filter(Boolean))];
  if (names.length === 0)
    throw new AppError('validation', 'Give at least one host name or address for the certificate.');
  for (const n of names)
    if (!isIP(n) && !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(n))
      throw new AppError('validation', `"${n}" is not a host name or an IP address.`);
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const dir = mkdtempSync(join(tmpdir(), 'pd-portal-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    writeFileSync(join(dir, 'subject.txt'), '');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(days),
      '-sha256',
      '-subj',
      `/CN=${names[0]!.replace(/[/=+\\]/g, '')}/O=Provision Desk reset portal (self-signed)`,
      '-addext',
      `subjectAltName=${san}`,
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    ]);
    return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new AppError(
          'certificate_generation_failed',
          missing
            ? 'A self-signed certificate needs the openssl command, which was not found; install OpenSSL or use your own certificate.'
            : 'The self-signed certificate could not be generated.',
          String(stderr || err.message).slice(0, 2000),
        ),
      );
    });
  });
}

/** Checks the pair fits (the key belongs to the first certificate) and returns its facts. */
export function checkPair(pair: CertificatePair): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.certPem);
  } catch (err) {
    throw new AppError('validation', 'The certificate is not a PEM certificate.', errMessage(err));
  }
  let ok: boolean;
  try {
    ok = cert.checkPrivateKey(createPrivateKey(pair.keyPem));
  } catch (err) {
    throw new AppError(
      'validation',
      'The private key is not a PEM private key (encrypted keys are not supported).',
      errMessage(err),
    );
  }
  if (!ok) throw new AppError('validation', 'The private key does not belong to the certificate.');
  return certificateInfo(pair.certPem);
}

export function certificateInfo(certPem: string): CertificateInfo {
  const cert = new X509Certificate(certPem);
  const selfSigned = cert.subject === cert.issuer && safeVerify(cert);
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
    altNames: (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean),
    selfSigned,
  };
}

function safeVerify(cert: X509Certificate): boolean {
  try {
    return cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** Warnings for the Settings page: self-signed, expired or expiring, name not covered. */
export function certificateWarnings(info: CertificateInfo, publicHost: string, now = new Date()): string[] {
  const w: string[] = [];
  if (info.selfSigned)
    w.push(
      "The portal uses a self-signed certificate: browsers will warn the people who open the link. Use a certificate from your organisation's CA for real use.",
    );
  const to = new Date(info.validTo).getTime();
  if (to <= now.getTime()) w.push(`The portal's certificate expired on ${info.validTo.slice(0, 10)}.`);
  else if (to - now.getTime() < 30 * 86400_000)
    w.push(`The portal's certificate expires on ${info.validTo.slice(0, 10)}.`);
  if (publicHost && !coversHost(info.altNames, publicHost))
    w.push(`The certificate does not name ${publicHost}, the host in the links; browsers will refuse it.`);
  return w;
}

function coversHost(altNames: string[], host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return altNames.some((a) => {
    const [type, value = ''] = a.split(/:(.*)/s) as [string, string?];
    const v = value.toLowerCase();
    if (type === 'IP Address') return v === h;
    if (type !== 'DNS') return false;
    if (v.startsWith('*.')) return h.endsWith(v.slice(1)) && h.split('.').length === v.split('.').length;
    return v === h;
  });
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
