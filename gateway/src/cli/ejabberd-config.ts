// `herald-gateway ejabberd config`: an ejabberd.yml (ejabberd 23.01, Debian's; the option names
// of ejabberd's "Configuration" docs) from Herald's settings and domains, for a cluster that
// carries the chat while the gateway keeps mail, the API and the console:
//   - virtual hosts = Herald's domains (IM off for one is enforced by extauth, not by leaving it out:
//     switching IM on again needs no new configuration);
//   - `auth_method: external` with `herald-gateway extauth` on the same data folder, and
//     `auth_use_cache: false`: ejabberd would otherwise keep accepting a password or device token
//     for up to auth_cache_life_time after Herald revoked it;
//   - the modules the embedded server's features map onto (roster + shared roster for "contacts =
//     the domain", MAM, MUC, carbons, stream management, blocking, vCard/avatars, PEP, CSI);
//   - c2s (STARTTLS required) and XMPP over WebSocket at /ws on the client listener address;
//     mod_http_api at /api on a loopback listener, callable from loopback only (the gateway's
//     `ejabberd roster --api`, and serve ending live sessions on revocation: xmpp/external/ejabberd-kick.ts);
//   - mod_fail2ban: ejabberd does not tell extauth the client's address, so per-address limits are its;
//   - xmpp.e2ee per virtual host: mod_herald_policy (ejabberd-policy-module.ts), loaded for each host
//     through append_host_config with that host's `e2ee: allow | deny`.
// Strings are written as JSON strings, which YAML reads as double-quoted scalars.
import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import { HeraldError } from '../protocol/errors.ts';

export interface EjabberdConfigInput {
  /** Herald's domains (each becomes a virtual host). */
  domains: string[];
  xmpp: Pick<Settings['xmpp'], 'external' | 'tlsCert' | 'tlsKey' | 'maxStanzaBytes' | 'resumeSeconds' | 'offlineQuota' | 'archiveDays' | 'upload' | 'e2ee'>;
  /** The extauth_program line (see extauthCommandOf). */
  extauthCommand: string;
  /** xmpp.external.archiveDb, absolute: mod_mam on SQLite there, which `serve` tails into the central IM log. */
  archiveDb?: string;
  /** xmpp.external.archiveUrl's parts: mod_mam on that PostgreSQL database (a cluster's nodes share it). */
  archivePg?: { server: string; port: number; database: string; username: string; password: string };
  /** xmpp.external.uploadDir, absolute: mod_http_upload's docroot (without it, and with xmpp.upload.enabled off, no upload). */
  uploadDir?: string;
}

const MIB = 1024 * 1024;
/**
 * HTTP File Upload (XEP-0363) on ejabberd with Herald's xmpp.upload limits: the service
 * upload.<domain> (the name the embedded server uses; desktops find it by disco#items +
 * disco#info feature urn:xmpp:http:upload:0, XEP-0363 §2, whose max-file-size is max_size), PUT and
 * GET at /upload on the WebSocket listener (same host, port and TLS as /ws). The put_url carries
 * the virtual host (/upload/@HOST@) because ejabberd 23.01 names one upload process per put_url:
 * two virtual hosts cannot share one. mod_http_upload_quota deletes files after
 * xmpp.upload.retentionDays; xmpp.upload.quotaBytes becomes its hard quota in whole MiB (ejabberd
 * counts MiB, and on exceeding it deletes the user's oldest files down to the soft quota rather
 * than refusing the upload as the embedded server does).
 */
function uploadModules(input: EjabberdConfigInput): string {
  const u = input.xmpp.upload;
  const x = input.xmpp.external;
  if (!u.enabled || !input.uploadDir) return '  # No mod_http_upload: xmpp.upload.enabled is off.\n';
  const host = x.publicHost ?? '@HOST@';
  const url = `${x.websocketTls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${x.websocketPort}/upload/@HOST@`;
  const quotaMib = Math.ceil(u.quotaBytes / MIB);
  const quota = u.retentionDays > 0 || quotaMib > 0
    ? `  mod_http_upload_quota:
    max_days: ${u.retentionDays > 0 ? u.retentionDays : 'infinity'}
${quotaMib > 0 ? '    access_hard_quota: herald_upload_quota\n    access_soft_quota: herald_upload_quota\n' : ''}`
    : '';
  return `  mod_http_upload:
    host: "upload.@HOST@"
    name: "HTTP File Upload"
    docroot: ${q(input.uploadDir)}
    put_url: ${q(url)}
    max_size: ${u.maxFileBytes}
    thumbnail: false
    # As the embedded server serves uploads: never rendered as a page of the download host.
    custom_headers:
      "X-Content-Type-Options": "nosniff"
      "Content-Security-Policy": "sandbox; default-src 'none'"
${quota}`;
}

/**
 * xmpp.e2ee per virtual host, for mod_herald_policy (ejabberd-policy-module.ts), as the embedded
 * server reads it (xmpp/server.ts: the domain's entry, else the default). append_host_config adds
 * the module to each host's modules; the option is re-read on every stanza, so after the file is
 * generated again a `reload_config` switches a domain between allow and deny at once.
 */
function policyHosts(input: EjabberdConfigInput): string {
  const e = input.xmpp.e2ee;
  const hosts = input.domains.map((d) => `  ${q(d)}:\n    modules:\n      mod_herald_policy:\n        e2ee: ${e.domains[d.toLowerCase()] ?? e.default}\n`).join('');
  return `
# Herald's end-to-end encryption policy (xmpp.e2ee) per virtual host: mod_herald_policy, compiled by
# \`herald-gateway ejabberd config\` into herald-ejabberd/ebin beside this file, which must be on
# ejabberd's code path (README "Running IM on an ejabberd cluster").
append_host_config:
${hosts}`;
}

const q = (s: string) => JSON.stringify(s);
/** Erlang's {spawn, Command} splits the line at spaces, without a shell: no quoting can help a path with one. */
const spaceless = (what: string, value: string) => {
  if (/\s/.test(value)) throw new HeraldError('bad_request', `${what} "${value}" contains a space, which ejabberd's extauth_program cannot hold; set xmpp.external.extauthCommand (e.g. a wrapper script without spaces in its path)`);
  return value;
};

/** The default extauth_program line: this Node and this herald-gateway, on this data folder (and config file). */
export function extauthCommandOf(o: { node: string; bin: string; dataDir: string; configFile?: string }): string {
  const parts = [spaceless('the node binary', o.node), spaceless('herald-gateway', path.resolve(o.bin)), 'extauth', '--data', spaceless('the data folder', path.resolve(o.dataDir))];
  if (o.configFile) parts.push('--config', spaceless('the config file', path.resolve(o.configFile)));
  return parts.join(' ');
}

export function renderEjabberdConfig(input: EjabberdConfigInput): string {
  const x = input.xmpp.external;
  if (!input.domains.length) throw new HeraldError('bad_request', 'no domains yet: add one (herald-gateway domain add example.com) before generating the ejabberd configuration');
  const certfiles = x.certfiles.length ? x.certfiles : [input.xmpp.tlsCert, input.xmpp.tlsKey].filter((f): f is string => f !== undefined);
  if (!certfiles.length) {
    throw new HeraldError('bad_request', 'ejabberd needs a certificate for STARTTLS: set xmpp.external.certfiles (PEM files with the certificate and key), or xmpp.tlsCert and xmpp.tlsKey');
  }
  const list = (items: string[], indent: string) => items.map((i) => `${indent}- ${q(i)}`).join('\n');
  // The central IM log (README "Running IM on an ejabberd cluster"): mod_mam on an SQLite file that
  // `serve` tails (xmpp/external/archive-tail.ts); users cannot switch their archive off.
  const archiveModule = `  mod_mam:
    default: always
    db_type: sql
    access_preferences: none
`;
  const pgArchive = input.archivePg;
  const archiveSql = pgArchive
    ? `
# mod_mam's archive and mod_shared_roster's groups (the SQL users), on PostgreSQL: every node writes it,
# \`serve\` reads the archive for the central IM log (xmpp.external.archiveUrl) and writes shared roster
# members. The tables are made by \`herald-gateway ejabberd config\`.
sql_type: pgsql
sql_server: ${q(pgArchive.server)}
sql_port: ${pgArchive.port}
sql_database: ${q(pgArchive.database)}
sql_username: ${q(pgArchive.username)}
sql_password: ${q(pgArchive.password)}
new_sql_schema: true
`
    : input.archiveDb
    ? `
# mod_mam's archive and mod_shared_roster's groups (the SQL users): the file \`serve\` reads for the
# central IM log (xmpp.external.archiveDb) and writes shared roster members into.
sql_type: sqlite
sql_database: ${q(input.archiveDb)}
new_sql_schema: true
`
    : '';
  return `# Generated by \`herald-gateway ejabberd config\` from Herald's settings and domains: generate it
# again (and \`ejabberdctl reload_config\`) after \`herald-gateway domain add/del\`. README "Running IM on
# an ejabberd cluster" says what each part is for.
hosts:
${list(input.domains, '  ')}
loglevel: info
certfiles:
${list(certfiles.map((f) => path.resolve(f)), '  ')}

# Accounts, passwords and device tokens are Herald's: ejabberd asks \`herald-gateway extauth\`.
auth_method: external
extauth_program: ${q(input.extauthCommand)}
extauth_pool_size: 1
# No cache: a password changed, a device signed out or IM switched off in Herald must be refused at
# the next login, not after auth_cache_life_time.
auth_use_cache: false
${archiveSql}
acl:
  local:
    user_regexp: ""
  loopback:
    ip:
      - "127.0.0.0/8"
      - "::1/128"
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  muc_create:
    allow: local
shaper_rules:
  # Herald's xmpp.offlineQuota: offline messages kept per user.
  max_user_offline_messages: ${input.xmpp.offlineQuota}
${input.xmpp.upload.enabled && input.uploadDir && input.xmpp.upload.quotaBytes > 0 ? `  # Herald's xmpp.upload.quotaBytes in MiB (mod_http_upload_quota).\n  herald_upload_quota: ${Math.ceil(input.xmpp.upload.quotaBytes / MIB)}\n` : ''}# ejabberd's HTTP API: loopback callers only (the gateway, an admin on the node).
api_permissions:
  "herald gateway":
    from:
      - mod_http_api
    who:
      access:
        allow:
          - acl: loopback
    what:
      - "*"

listen:
  - port: ${x.c2sPort}
    ip: ${q(x.listenHost)}
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: ${input.xmpp.maxStanzaBytes}
  - port: ${x.websocketPort}
    ip: ${q(x.listenHost)}
    module: ejabberd_http
    tls: ${x.websocketTls}
    request_handlers:
      /ws: ejabberd_http_ws
${input.xmpp.upload.enabled && input.uploadDir ? '      /upload: mod_http_upload\n' : ''}  - port: ${x.apiPort}
    ip: ${q(x.apiHost)}
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api

modules:
  mod_roster:
    versioning: true
  # Contacts = the domain (and linked domains): groups \`herald-gateway ejabberd roster\` (and serve) keep.
${input.archiveDb || pgArchive ? `  # On SQL, where the gateway writes large changes in bulk; no cache, so every node sees them at once.
  mod_shared_roster:
    db_type: sql
    use_cache: false
` : '  mod_shared_roster: {}\n'}  mod_disco: {}
  mod_ping: {}
  mod_carboncopy: {}
  mod_client_state: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_stream_mgmt:
    resume_timeout: ${input.xmpp.resumeSeconds}
  mod_blocking: {}
  mod_privacy: {}
  mod_private: {}
  mod_last: {}
${input.archiveDb || pgArchive ? archiveModule : input.xmpp.archiveDays > 0 ? '  mod_mam:\n    default: always\n' : '  # No mod_mam: xmpp.archiveDays is 0 (no archive).\n'}  mod_muc:
    host: "conference.@HOST@"
    access_create: muc_create
    default_room_options:
      mam: ${input.archiveDb !== undefined || pgArchive !== undefined || input.xmpp.archiveDays > 0}
${input.archiveDb || pgArchive ? '    # Room owners cannot switch the archive (and so the central IM log) off.\n    access_mam: none\n' : ''}  mod_vcard: {}
  mod_vcard_xupdate: {}
  mod_avatar: {}
  mod_caps: {}
  mod_pubsub:
    plugins:
      - "flat"
      - "pep"
  mod_http_api: {}
  # srg_* and kick_session are commands of mod_admin_extra; so are send_stanza, user_resources and
  # get_offline_count, through which serve sends the server's own IMs (SEM files, alerts, reminders).
  mod_admin_extra: {}
  mod_fail2ban: {}
${uploadModules(input)}${policyHosts(input)}`;
}
