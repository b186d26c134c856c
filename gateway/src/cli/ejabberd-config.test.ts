import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../config/load.ts';
import { extauthCommandOf, renderEjabberdConfig } from './ejabberd-config.ts';

const settings = loadSettings({ env: {}, overrides: { dataDir: '/var/lib/herald', 'xmpp.external.certfiles': ['/etc/herald/tls.pem'] } });
const input = { domains: ['example.com', 'other.example'], xmpp: settings.xmpp, extauthCommand: '/usr/bin/node /opt/herald/bin/herald-gateway.mjs extauth --data /var/lib/herald' };

test('the configuration: hosts, external auth without a cache, the listeners and modules from the settings', () => {
  const yaml = renderEjabberdConfig(input);
  assert.match(yaml, /^hosts:\n {2}- "example.com"\n {2}- "other.example"$/m);
  assert.match(yaml, /^auth_method: external$/m);
  assert.match(yaml, /^extauth_program: "\/usr\/bin\/node \/opt\/herald\/bin\/herald-gateway.mjs extauth --data \/var\/lib\/herald"$/m);
  assert.match(yaml, /^auth_use_cache: false$/m);
  assert.match(yaml, /^certfiles:\n {2}- "\/etc\/herald\/tls.pem"$/m);
  assert.match(yaml, /- port: 5222\n {4}ip: "0.0.0.0"\n {4}module: ejabberd_c2s\n {4}starttls_required: true/);
  assert.match(yaml, /- port: 5281\n {4}ip: "127.0.0.1"\n {4}module: ejabberd_http\n {4}request_handlers:\n {6}\/api: mod_http_api/);
  assert.match(yaml, /\/ws: ejabberd_http_ws/);
  for (const m of ['mod_shared_roster', 'mod_mam', 'mod_muc', 'mod_http_api', 'mod_admin_extra', 'mod_fail2ban']) assert.match(yaml, new RegExp(`^ {2}${m}:`, 'm'));
  assert.match(yaml, /max_user_offline_messages: 1000/);
});

test('no archive when xmpp.archiveDays is 0; no domains or no certificate: refused with what to do', () => {
  assert.doesNotMatch(renderEjabberdConfig({ ...input, xmpp: { ...input.xmpp, archiveDays: 0 } }), /^ {2}mod_mam:/m);
  assert.throws(() => renderEjabberdConfig({ ...input, domains: [] }), /no domains yet: add one/);
  assert.throws(() => renderEjabberdConfig({ ...input, xmpp: { ...input.xmpp, external: { ...input.xmpp.external, certfiles: [] } } }), /xmpp.external.certfiles/);
});

test('the extauth line: absolute paths, --config when given; a path with a space is refused (ejabberd splits at spaces)', () => {
  assert.equal(extauthCommandOf({ node: '/usr/bin/node', bin: '/opt/h/bin/herald-gateway.mjs', dataDir: '/srv/data', configFile: '/etc/herald.json' }), '/usr/bin/node /opt/h/bin/herald-gateway.mjs extauth --data /srv/data --config /etc/herald.json');
  assert.throws(() => extauthCommandOf({ node: '/usr/bin/node', bin: '/opt/h/bin/herald-gateway.mjs', dataDir: '/srv/my data' }), /contains a space.*xmpp.external.extauthCommand/);
});

test('xmpp.external.archiveDb: mod_mam on that SQLite file (new schema), preferences and room archives locked on; without it no SQL at all', () => {
  const yaml = renderEjabberdConfig({ ...input, archiveDb: '/var/lib/ejabberd-archive/mam.db' });
  assert.match(yaml, /^sql_type: sqlite\nsql_database: "\/var\/lib\/ejabberd-archive\/mam.db"\nnew_sql_schema: true$/m);
  assert.match(yaml, /^ {2}mod_mam:\n {4}default: always\n {4}db_type: sql\n {4}access_preferences: none$/m);
  assert.match(yaml, /default_room_options:\n {6}mam: true\n(?: {4}#.*\n)? {4}access_mam: none$/m);
  // The central IM log needs the archive even when users get none (archiveDays 0).
  assert.match(renderEjabberdConfig({ ...input, archiveDb: '/a.db', xmpp: { ...input.xmpp, archiveDays: 0 } }), /^ {4}db_type: sql$/m);
  const plain = renderEjabberdConfig(input);
  assert.doesNotMatch(plain, /sql_|db_type|access_mam|access_preferences/);
  assert.match(plain, /^ {2}mod_shared_roster: \{\}$/m, 'without SQL the shared roster stays in Mnesia');
});

test('with SQL (archiveDb or archiveUrl) mod_shared_roster is on it, without its cache (the gateway writes members there in bulk); auth stays external only', () => {
  for (const yaml of [renderEjabberdConfig({ ...input, archiveDb: '/a.db' }), renderEjabberdConfig({ ...input, archivePg: { server: 'db', port: 5432, database: 'd', username: 'u', password: 'p' } })]) {
    assert.match(yaml, /^ {2}mod_shared_roster:\n {4}db_type: sql\n {4}use_cache: false$/m);
    assert.match(yaml, /^auth_method: external$/m);
  }
});

test('xmpp.external.archiveUrl: mod_mam on that PostgreSQL database (a cluster shares it), new schema, preferences locked', () => {
  const yaml = renderEjabberdConfig({ ...input, archivePg: { server: 'db.example', port: 5433, database: 'mam', username: 'ejabberd', password: 's"cret' } });
  assert.match(yaml, /^sql_type: pgsql\nsql_server: "db.example"\nsql_port: 5433\nsql_database: "mam"\nsql_username: "ejabberd"\nsql_password: "s\\"cret"\nnew_sql_schema: true$/m);
  assert.match(yaml, /^ {2}mod_mam:\n {4}default: always\n {4}db_type: sql\n {4}access_preferences: none$/m);
  assert.match(yaml, /default_room_options:\n {6}mam: true\n(?: {4}#.*\n)? {4}access_mam: none$/m);
  assert.doesNotMatch(yaml, /sqlite/);
});

test('HTTP File Upload: mod_http_upload on upload.<domain> at /upload of the WebSocket listener, Herald\'s size limit, docroot, retention and quota; none when xmpp.upload is off', () => {
  const yaml = renderEjabberdConfig({ ...input, uploadDir: '/var/lib/herald/ejabberd-uploads' });
  assert.match(yaml, /- port: 5280\n(?: {4}.*\n)* {6}\/ws: ejabberd_http_ws\n {6}\/upload: mod_http_upload\n/);
  assert.match(yaml, /^ {2}mod_http_upload:\n {4}host: "upload.@HOST@"\n(?: {4}.*\n)* {4}docroot: "\/var\/lib\/herald\/ejabberd-uploads"\n {4}put_url: "https:\/\/@HOST@:5280\/upload\/@HOST@"\n {4}max_size: 52428800\n/m);
  assert.match(yaml, /^ {2}mod_http_upload_quota:\n {4}max_days: 30\n/m);
  assert.doesNotMatch(yaml, /herald_upload_quota/, 'no quota by default (xmpp.upload.quotaBytes 0)');
  // publicHost and plain http (websocketTls off, a proxy or a test in front); a quota in whole MiB, rounded up; retention 0 = forever.
  const x = { ...input.xmpp, upload: { ...input.xmpp.upload, maxFileBytes: 1000, quotaBytes: 100 * 1024 * 1024 + 1, retentionDays: 0 }, external: { ...input.xmpp.external, publicHost: 'chat.example.com', websocketTls: false, websocketPort: 8080 } };
  const other = renderEjabberdConfig({ ...input, xmpp: x, uploadDir: '/u' });
  assert.match(other, /put_url: "http:\/\/chat.example.com:8080\/upload\/@HOST@"\n {4}max_size: 1000\n/);
  assert.match(other, /^ {2}herald_upload_quota: 101$/m);
  assert.match(other, /^ {2}mod_http_upload_quota:\n {4}max_days: infinity\n {4}access_hard_quota: herald_upload_quota\n {4}access_soft_quota: herald_upload_quota\n/m);
  // An IPv6 public host is bracketed in the URL.
  assert.match(renderEjabberdConfig({ ...input, xmpp: { ...x, external: { ...x.external, publicHost: '::1' } }, uploadDir: '/u' }), /put_url: "http:\/\/\[::1\]:8080\/upload\/@HOST@"/);
  const off = renderEjabberdConfig({ ...input, xmpp: { ...input.xmpp, upload: { ...input.xmpp.upload, enabled: false } }, uploadDir: '/u' });
  assert.doesNotMatch(off, /^ {2}mod_http_upload/m);
  assert.doesNotMatch(off, /docroot|\/upload:/);
});

test('xmpp.e2ee: mod_herald_policy per virtual host (append_host_config) with the domain\'s policy, else the default; a bad value is refused by the settings', () => {
  const e2ee = loadSettings({ env: {}, overrides: { 'xmpp.e2ee.default': 'deny', 'xmpp.e2ee.domains': { 'Other.Example': 'allow' } } }).xmpp.e2ee;
  const yaml = renderEjabberdConfig({ ...input, xmpp: { ...input.xmpp, e2ee } });
  assert.match(yaml, /^append_host_config:\n {2}"example.com":\n {4}modules:\n {6}mod_herald_policy:\n {8}e2ee: deny\n {2}"other.example":\n {4}modules:\n {6}mod_herald_policy:\n {8}e2ee: allow\n/m);
  // Not in the global modules: each host gets it once, with its own option.
  assert.equal(yaml.match(/mod_herald_policy:/g)?.length, 2);
  const allowAll = renderEjabberdConfig({ ...input, xmpp: { ...input.xmpp, e2ee: { default: 'allow', domains: {} } } });
  assert.equal(allowAll.match(/e2ee: allow/g)?.length, 2);
  assert.throws(() => loadSettings({ env: {}, overrides: { 'xmpp.e2ee.domains': { 'example.com': 'maybe' } } }), /allow|deny/);
});
