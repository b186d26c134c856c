// GET /api/v1/config: the signed-in user's client settings (admin-controlled: client.*, with
// client.domains.<domain> over them, the domain's stored webmail template over both, and IM on
// only while the server runs and the domain has it on).
import type Router from '@koa/router';
import type { Settings } from '../../config/schema.ts';
import type { TokenService } from '../../directory/tokens.ts';
import type { ClientConfig } from '../../protocol/api.ts';
import type { Store } from '../../store/index.ts';
import { authOf, requireDevice } from '../auth.ts';

export interface ConfigRouteDeps {
  settings: Settings;
  store: Store;
  tokens: TokenService;
  /** The embedded XMPP server's c2s port, when it runs. */
  xmppPort: number | undefined;
  publicUrl: string;
}

export function configRoutes(router: Router, { settings, store, tokens, xmppPort, publicUrl }: ConfigRouteDeps): void {
  router.get('/config', requireDevice(tokens), (ctx) => {
    const { account } = authOf(ctx);
    const domain = store.domains.get(account.domain);
    // The domain's own choices (client.domains.<domain>) over the global ones.
    const c = { ...settings.client, ...settings.client.domains[account.domain] };
    const host = new URL(publicUrl).hostname;
    const body: ClientConfig = {
      user: { address: account.address, displayName: account.displayName },
      // The domain's own template set in the console or by `domain set --webmail` comes first.
      webmail: { urlTemplate: domain?.webmailUrl ?? c.webmailUrl },
      xmpp: settings.xmpp.mode === 'external' ? externalXmpp(settings, account.domain, domain?.imEnabled ?? false, host) : {
        enabled: xmppPort !== undefined && (domain?.imEnabled ?? false),
        domain: account.domain,
        tcp: { host, port: xmppPort ?? settings.xmpp.port },
        websocketUrl: `${publicUrl.replace(/^http/, 'ws')}/xmpp-websocket`,
      },
      pollIntervalSeconds: c.pollSeconds,
      skin: { default: c.defaultSkin, locked: c.skinLocked },
      sounds: { newMail: c.sounds, messageIn: c.sounds },
      alerts: { digestThreshold: c.digestThreshold, folders: c.alertFolders },
      updates: { mode: domain?.updates ?? 'off', feedUrl: `${publicUrl.replace(/\/+$/, '')}/updates/stable` },
    };
    ctx.set('Cache-Control', 'no-cache, private');
    ctx.body = body;
  });
}

/** xmpp.mode=external: the ejabberd cluster's endpoints (xmpp.external), IM on as the domain has it. */
function externalXmpp(settings: Settings, domain: string, imEnabled: boolean, publicHost: string): ClientConfig['xmpp'] {
  const x = settings.xmpp.external;
  const host = x.publicHost ?? publicHost;
  const wsHost = host.includes(':') ? `[${host}]` : host;
  return {
    enabled: settings.xmpp.enabled && imEnabled,
    domain,
    tcp: { host, port: x.c2sPort },
    websocketUrl: x.websocketUrl ?? `${x.websocketTls ? 'wss' : 'ws'}://${wsHost}:${x.websocketPort}/ws`,
  };
}
