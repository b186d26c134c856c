// herald-gateway: serve | user | domain | token | package | log | im | spool
import { parseArgs } from 'node:util';
import { ConfigError, loadSettings } from './config/load.ts';
import { createLogger } from './config/logger.ts';
import { isLoopbackHost } from './config/exposure.ts';
import { octal, widePermissions } from './config/private-files.ts';
import { HeraldError } from './protocol/errors.ts';
import { runAdminCommand, UsageError, type Flags } from './cli/admin-commands.ts';
import { seedDemo } from './cli/demo.ts';
import { runLogCommand } from './cli/log-commands.ts';
import { runPackageCommand } from './cli/package-commands.ts';
import { runImCommand, runSpoolCommand } from './cli/spool-commands.ts';
import { createServices, startGateway } from './main.ts';
import { buildsDirOf } from './provisioning/provisioning.ts';

const USAGE = `usage: herald-gateway <command> [options]

  serve [--config FILE] [--data DIR] [--http-port N] [--xmpp-port N] [--demo]
        run the gateway (--demo: create demo domain, users and mail on an empty data folder);
        HTTP and XMPP listen on 127.0.0.1 unless http.host / xmpp.host say otherwise
  user add <local@domain> [--password PW] [--name "Display Name"]
  user del <local@domain>
  user passwd <local@domain> [--password PW]
  user list [--domain D]
  domain add <domain> [--im on|off]
  domain set <domain> --im on|off
  domain list
  domain link <domain> <domain>                  users of both see each other as contacts
  domain unlink <domain> <domain>
  token enroll <local@domain> [--ttl HOURS]      print a one-time enrollment token
  token revoke <local@domain> [--device ID]      revoke device tokens (all, or one)
  token list <local@domain>
  package --from BUILD --out DIR (--domain D | --user <local@domain>) [--ttl HOURS] [--url URL]
        per-user copies of a generic build (zip, tar.gz; an installer gets provision.json
        beside it), each with a one-time sign-in; DIR/manifest.csv lists user, file, expiry
  package keys [--out FILE]                      the public key set builds ship as provision-keys.json
  log search [--user ADDR] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--text STR]
        find messages in the central IM log: from or to ADDR (any resource), UTC days
        inclusive, body containing STR (case-insensitive); the count goes to stderr
  im send <local@domain> <text...> [--from ADDR]
        send an IM through the SEM spool (works while serve runs, or waits for it); the text
        may come on standard input; the sender defaults to im.serviceAddress (herald@<domain>)
  spool status [--json]                           pending, locked, in-progress and bad SEM files, last errors

Every command takes --data DIR (env HERALD_DATA, default ./data) and --config FILE.
Without --password, the password is asked on a terminal or read from standard input.
Settings: config file (JSON) < environment (HERALD_DATA, HERALD_HTTP_PORT, HERALD_XMPP_PORT,
HERALD__SECTION__KEY) < options. See README.md.`;

async function main(argv: string[]): Promise<number> {
  // Private at rest: whatever the admin's umask, what any command makes in the data folder
  // (database and its -wal/-shm, keys, logs, uploads, spool files) is the gateway user's only.
  process.umask(0o077);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      data: { type: 'string' },
      'http-port': { type: 'string' },
      'xmpp-port': { type: 'string' },
      demo: { type: 'boolean' },
      password: { type: 'string' },
      name: { type: 'string' },
      domain: { type: 'string' },
      im: { type: 'string' },
      ttl: { type: 'string' },
      device: { type: 'string' },
      user: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      text: { type: 'string' },
      from: { type: 'string' },
      out: { type: 'string' },
      url: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const settings = loadSettings({
    configFile: values.config,
    overrides: {
      dataDir: values.data,
      'http.port': values['http-port'],
      'xmpp.port': values['xmpp-port'],
      // The demo's desktop chat uses ws:// on this machine (README "Demo"); it counts only on a loopback bind.
      'xmpp.plainWebSocketFromLoopback': command === 'serve' && values.demo ? true : undefined,
    },
  });

  if (command === 'serve') {
    const log = createLogger(settings.log.level);
    // The generic desktop builds are public (and the admin's files), not the gateway's private data.
    const wide = widePermissions(settings.dataDir, { skip: [buildsDirOf(settings.provisioning.buildsDir, settings.dataDir)] });
    for (const w of wide) log.warn({ path: w.path, mode: octal(w.mode) }, `${w.path} is ${octal(w.mode)}: other local users may read the gateway's data; chmod ${w.dir ? '700' : '600'} it`);
    if (values.demo) {
      const services = createServices(settings, log);
      const banner = await seedDemo(settings, services.directory, services.tokens);
      services.store.close();
      if (banner) console.log(`\n${banner}\n`);
    }
    const gateway = await startGateway(settings, log);
    if (values.demo) {
      // Say what is bound, not "localhost": exposing the demo (and its printed passwords) is the admin's explicit choice.
      const port = new URL(gateway.url).port;
      const bound = `HTTP on ${settings.http.host}:${port}${gateway.xmppPort ? `, XMPP on ${settings.xmpp.host}:${gateway.xmppPort}` : ''}`;
      const local = isLoopbackHost(settings.http.host) && (!gateway.xmppPort || isLoopbackHost(settings.xmpp.host));
      console.log(`demo: ${bound} — ${local ? 'this machine only' : 'REACHABLE FROM OTHER MACHINES'}; open ${gateway.publicUrl}\n`);
    }
    const stop = async (signal: string) => {
      log.info(`${signal}: shutting down`);
      await gateway.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    return new Promise<number>(() => {});
  }

  if (command === 'log') {
    await runLogCommand(settings, rest, values as Flags, (line) => console.log(line));
    return 0;
  }
  if (command === 'im') {
    await runImCommand(settings, rest, values as Flags, (line) => console.log(line));
    return 0;
  }
  if (command === 'spool') {
    runSpoolCommand(settings, rest, values as Flags, (line) => console.log(line));
    return 0;
  }
  if (command === 'package') {
    const services = createServices(settings, createLogger('warn', { pretty: false }));
    try {
      await runPackageCommand(settings, services, rest, values as Flags, { out: (line) => console.log(line), err: (text) => process.stderr.write(text), tty: process.stderr.isTTY === true });
    } finally {
      services.store.close();
    }
    return 0;
  }
  if (!['user', 'domain', 'token'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  const services = createServices(settings, createLogger('warn', { pretty: false }));
  try {
    await runAdminCommand(services, command, rest, values as Flags, (line) => console.log(line));
  } finally {
    services.store.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`herald-gateway: ${(e as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (e instanceof ConfigError) console.error(`herald-gateway: configuration error:\n${e.message}`);
    else if (e instanceof HeraldError) console.error(`herald-gateway: ${e.message}`);
    else if (e instanceof Error) console.error(`herald-gateway: ${e.message}`);
    else console.error('herald-gateway: failed', e);
    process.exit(1);
  },
);
