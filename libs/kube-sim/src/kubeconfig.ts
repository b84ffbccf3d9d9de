import { stringify } from 'yaml';

/** A kubeconfig for kubectl and client-node: one cluster (its CA when served over TLS), one token user, namespace default. */
export function renderKubeconfig(
  server: string,
  token: string,
  caCertificatePem?: string,
  name = 'switchyard-sim',
): string {
  const cluster: Record<string, string> = { server };
  if (caCertificatePem) cluster['certificate-authority-data'] = Buffer.from(caCertificatePem).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
