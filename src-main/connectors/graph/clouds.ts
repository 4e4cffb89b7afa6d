// National clouds: where to get a token and where Graph lives, per cloud.
// learn.microsoft.com/graph/deployments — the authority host and the Graph
// endpoint differ per cloud; the token scope is the Graph root + "/.default".
import type { EntraConnection } from '../../../src-preload/directory.ts';
import { ConnectorError } from '../connector.ts';

export interface CloudEndpoints {
  /** Authority host, e.g. https://login.microsoftonline.com (no tenant, no trailing slash). */
  authorityHost: string;
  /** Authority with the tenant: what MSAL is given. */
  authority: string;
  /** Graph root with the version, e.g. https://graph.microsoft.com/v1.0 (no trailing slash). */
  graphBase: string;
  /** Client-credentials scope: the Graph resource + "/.default". */
  scope: string;
  /** True for a custom (test / sovereign-in-house) authority: metadata is fetched once and MSAL told not to discover. */
  custom: boolean;
}

export const nationalClouds = {
  global: { authorityHost: 'https://login.microsoftonline.com', graphRoot: 'https://graph.microsoft.com' },
  usGov: { authorityHost: 'https://login.microsoftonline.us', graphRoot: 'https://graph.microsoft.us' },
  china: { authorityHost: 'https://login.chinacloudapi.cn', graphRoot: 'https://microsoftgraph.chinacloudapi.cn' },
} as const;

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/**
 * Resolves the endpoints of a connection. For `custom`, `authorityUrl` may be
 * the bare host (https://host:port) or already end with the tenant
 * (https://host:port/{tenant}); `graphUrl` may be the root or end in /v1.0.
 */
export function resolveCloud(
  conn: Pick<EntraConnection, 'cloud' | 'tenantId' | 'authorityUrl' | 'graphUrl'>,
): CloudEndpoints {
  const tenant = conn.tenantId.trim();
  if (conn.cloud !== 'custom') {
    const c = nationalClouds[conn.cloud];
    return {
      authorityHost: c.authorityHost,
      authority: `${c.authorityHost}/${encodeURIComponent(tenant)}`,
      graphBase: `${c.graphRoot}/v1.0`,
      scope: `${c.graphRoot}/.default`,
      custom: false,
    };
  }
  if (!conn.authorityUrl || !conn.graphUrl) {
    throw new ConnectorError('invalid_value', 'A custom cloud needs both the authority URL and the Graph URL.', {
      details: { authorityUrl: conn.authorityUrl ?? null, graphUrl: conn.graphUrl ?? null },
      transient: false,
    });
  }
  for (const [name, value] of [
    ['authority URL', conn.authorityUrl],
    ['Graph URL', conn.graphUrl],
  ] as const) {
    if (!/^https:\/\//i.test(value)) {
      throw new ConnectorError('invalid_value', `The ${name} must start with https://.`, {
        details: { value },
        transient: false,
      });
    }
  }
  const authUrl = new URL(conn.authorityUrl);
  const authorityHost = authUrl.origin;
  const path = trimSlash(authUrl.pathname);
  const authority = path && path !== '' ? `${authorityHost}${path}` : `${authorityHost}/${encodeURIComponent(tenant)}`;
  const g = new URL(conn.graphUrl);
  const gPath = trimSlash(g.pathname);
  const graphBase = /\/(v1\.0|beta)$/.test(gPath) ? `${g.origin}${gPath}` : `${g.origin}${gPath}/v1.0`;
  const graphRoot = graphBase.replace(/\/(v1\.0|beta)$/, '');
  return { authorityHost, authority, graphBase, scope: `${graphRoot}/.default`, custom: true };
}
