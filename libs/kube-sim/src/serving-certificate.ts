import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface ServingCertificate {
  key: string;
  cert: string;
}

/**
 * A self-signed serving certificate that is also its own CA. kubectl (client-go) sends a bearer token only over
 * TLS, so the embedded API serves HTTPS and the kubeconfig carries this certificate as `certificate-authority-data`.
 */
export async function createServingCertificate(host: string): Promise<ServingCertificate> {
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  if (isIP(host) && host !== '127.0.0.1' && host !== '::1') altNames.push({ type: 7, ip: host });
  else if (!isIP(host) && host !== 'localhost') altNames.push({ type: 2, value: host });
  const result = await generate([{ name: 'commonName', value: 'switchyard-kube-sim' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: result.private, cert: result.cert };
}
