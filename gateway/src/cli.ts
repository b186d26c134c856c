// herald-gateway: serve | user | domain | token | package | log | im | alerts | spool
import { readFileSync } from 'node:fs';
import type { Logger } from './config/logger.ts';
import { startingUp } from './config/start-up.ts';
import { HeraldError } from './protocol/errors.ts';
import { runAdminCommand, UsageError, type Flags } from './cli/admin-commands.ts';
import { CommandLineError, createCommandLine, type OptionTable } from './cli/command-line.ts';
import type { Gateway } from './main.ts';

// The gateway's modules load past --help, and each command's own only for that command:
// `herald-gateway --help` answers without loading the gateway (issue 12: at most 0.3 s).
// A new command imports its module here the same way, not with a static import.
const gatewayModules = async () => {
  const [load, logger, exposure, privateFiles, main, provisioning] = await Promise.all([
    import('./config/load.ts'),
    import('./config/logger.ts'),
    import('./config/exposure.ts'),
    import('./config/private-files.ts'),
    import('./main.ts'),
    import('./provisioning/provisioning.ts'),
  ]);
  return { ...load, ...logger, ...exposure, ...privateFiles, ...main, ...provisioning };
};

const USAGE = `usage: herald-gateway <command> [options]

  serve [--config FILE] [--data DIR] [--http-port N] [--xmpp-port N] [--demo]
        run the gateway (--demo: create demo domain, users and mail on an empty data folder);
        HTTP and XMPP listen on 127.0.0.1 unless http.host / xmpp.host say otherwise
  user add <local@domain> [--password-file FILE] [--name "Display Name"]
  user del <local@domain>
  user passwd <local@domain> [--password-file FILE] [--keep-devices]
        sessions that used the old password end; so do the user's device tokens (signed-in
        apps sign in again) unless --keep-devices
  user unlock <local@domain>                     forget the account's failed sign-ins (slowed sign-ins)
  user admin grant <local@domain>                may sign in to the admin console
  user admin revoke <local@domain>               may no longer sign in to the admin console
  user list [--domain D]
  domain add <domain> [--im on|off]
  domain set <domain> [--im on|off] [--updates off|notify|automatic] [--webmail TEMPLATE|default]
        --webmail: the domain's webmail URL template for its desktops ('' = no link; default =
        the config file's client.webmailUrl again); the console's Domains page sets the same
  domain del <domain> [--force]                  delete a domain; one with accounts only with --force
        (they go too, their sessions end); its links go, message logs stay
  domain list
  domain link <domain> <domain>                  users of both see each other as contacts
  domain unlink <domain> <domain>
  domain dns <domain> [--host NAME]              check the DNS SRV records XMPP clients (Dino) look up;
        NAME: the host they connect to (default: http.publicUrl's); exit 1 when one is missing
  token enroll <local@domain> [--ttl HOURS]      print a one-time enrollment token
  token revoke <local@domain> [--device ID]      revoke device tokens (all, or one)
  token list <local@domain>                      devices (name, platform, last use) and unused enrollment tokens
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
  alerts list [--json]                           the admin's mail-to-IM alert rules in effect and where they come from
  alerts show <name>                             one admin alert rule as JSON
  alerts enable <name>                           switch an admin alert rule on (the console's list from then on)
  alerts disable <name>                          switch it off
  alerts delete <name>                           delete an admin alert rule
  alerts reset                                   forget the console's list: im.alerts.rules of the file apply again
  spool status [--json]                           pending, locked, in-progress and bad SEM files, last errors
  status [--json]                                 ask the running serve: sessions, watches, event-loop delay, spool, warnings
  extauth                                        ejabberd's external authentication program (extauth_program):
        answers ejabberd on stdin/stdout with Herald's passwords and device tokens; log on stderr
  ejabberd config [--out FILE]                   an ejabberd.yml from the settings (xmpp.external) and domains
        [--ejabberd-lib DIR]                     (with --out: mod_herald_policy, xmpp.e2ee, compiled into herald-ejabberd/ beside it)
  ejabberd roster [--print]                      bring ejabberd's shared roster groups in step with the domains,
        users and links (its HTTP API, xmpp.external.apiPort); --print: the ejabberdctl commands instead

Every command takes --data DIR (env HERALD_DATA, default ./data) and --config FILE; other
options only where listed (anything else is refused).
Passwords: --password-file FILE (its first line), else asked on a terminal or read from the first
line of standard input; at least directory.minPasswordLength (10) characters. --password PW also
works but shows the password to every local user (ps) and in the shell's history.
Settings: config file (JSON) < environment (HERALD_DATA, HERALD_HTTP_PORT, HERALD_XMPP_PORT,
HERALD__SECTION__KEY) < options. See README.md.`;

/** Options every command takes. */
const COMMON = ['config', 'data', 'help'];
/**
 * The options each command takes beyond COMMON: the one place that knows. An option a command
 * does not take is refused (exit 2) instead of silently meaning nothing (`user add x --ttl 5`).
 */
const COMMAND_OPTIONS: Record<string, string[]> = {
  serve: ['http-port', 'xmpp-port', 'demo'],
  'user add': ['password', 'password-file', 'name'],
  'user del': [],
  'user passwd': ['password', 'password-file', 'keep-devices'],
  'user unlock': [],
  'user admin grant': [],
  'user admin revoke': [],
  'user list': ['domain'],
  'domain add': ['im'],
  'domain set': ['im', 'updates', 'webmail'],
  'domain del': ['force'],
  'domain list': [],
  'domain link': [],
  'domain unlink': [],
  'domain dns': ['host'],
  'token enroll': ['ttl'],
  'token revoke': ['device'],
  'token list': [],
  package: ['from', 'out', 'domain', 'user', 'ttl', 'url', 'http-port'],
  'package keys': ['out'],
  'log search': ['user', 'since', 'until', 'text'],
  'im send': ['from'],
  'alerts list': ['json'],
  'alerts show': [],
  'alerts enable': [],
  'alerts disable': [],
  'alerts delete': [],
  'alerts reset': [],
  'spool status': ['json'],
  status: ['json'],
  extauth: [],
  'ejabberd config': ['out', 'ejabberd-lib'],
  'ejabberd roster': ['print'],
};

const OPTIONS: OptionTable = {
  config: { type: 'string' },
  data: { type: 'string' },
  'http-port': { type: 'string' },
  'xmpp-port': { type: 'string' },
  demo: { type: 'boolean' },
  'keep-devices': { type: 'boolean' },
  password: { type: 'string' },
  'password-file': { type: 'string' },
  name: { type: 'string' },
  domain: { type: 'string' },
  im: { type: 'string' },
  updates: { type: 'string' },
  webmail: { type: 'string' },
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
  force: { type: 'boolean' },
  host: { type: 'string' },
  print: { type: 'boolean' },
  'ejabberd-lib': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const commandLine = createCommandLine({ usage: USAGE, options: OPTIONS, common: COMMON, commandOptions: COMMAND_OPTIONS });
/** The command being run (for the usage under an error). */
let current: string | undefined;

/** --password-file: the file's first line (without its line end), so the password never shows in `ps`. */
function passwordFromFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --password-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return text.split(/\r?\n/, 1)[0]!;
}

async function main(argv: string[]): Promise<number> {
  // Private at rest: whatever the admin's umask, what any command makes in the data folder
  // (database and its -wal/-shm, keys, logs, uploads, spool files) is the gateway user's only.
  process.umask(0o077);
  const line = commandLine.parse(argv);
  current = line.name;
  if (line.help !== undefined) {
    console.log(line.help);
    return 0;
  }
  // Checked against OPTIONS by parse(): string options hold strings.
  const values = line.values as Flags & { config?: string; data?: string; 'http-port'?: string; 'xmpp-port'?: string; password?: string; 'password-file'?: string };
  const positionals = line.positionals;
  const [command, ...rest] = positionals as [string, ...string[]];
  if (values.password !== undefined && values['password-file'] !== undefined) throw new UsageError('give the password one way: --password-file or --password, not both');
  if (values.password !== undefined) {
    console.error('herald-gateway: warning: --password shows the password to every user of this computer (ps) and stays in the shell history; use --password-file FILE or standard input');
  }
  if (values['password-file'] !== undefined) values.password = passwordFromFile(values['password-file']);
  if (command === 'serve') startingUp(); // before the gateway's modules load (config/start-up.ts)
  const { loadSettings, createLogger, widePermissions, buildsDirOf, octal, createServices, startGateway, isLoopbackHost } = await gatewayModules();
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
      const { seedDemo } = await import('./cli/demo.ts');
      const banner = await seedDemo(settings, services.directory, services.tokens, services.admin.users);
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
    stopOnSignals(gateway, settings.shutdownSeconds, log);
    return new Promise<number>(() => {});
  }

  if (command === 'log') {
    const { runLogCommand } = await import('./cli/log-commands.ts');
    await runLogCommand(settings, rest, values as Flags, (line) => console.log(line));
    return 0;
  }
  if (command === 'im') {
    const { runImCommand } = await import('./cli/spool-commands.ts');
    await runImCommand(settings, rest, values as Flags, (line) => console.log(line));
    return 0;
  }
  if (command === 'spool') {
    const { runSpoolCommand } = await import('./cli/spool-commands.ts');
    runSpoolCommand(settings, rest, values as Flags, (line) => console.log(line));
    return 0;
  }
  if (command === 'alerts') {
    const log = createLogger('warn', { pretty: false });
    const services = createServices(settings, log);
    const { runAlertsCommand } = await import('./cli/alerts-commands.ts');
    try {
      runAlertsCommand(settings, services, log, rest, values as Flags, (line) => console.log(line));
    } finally {
      services.store.close();
    }
    return 0;
  }
  if (command === 'status') {
    const { runStatusCommand } = await import('./cli/status-command.ts');
    await runStatusCommand(settings, values as Flags, (line) => console.log(line));
    return 0;
  }
  if (command === 'extauth') {
    // stdout is ejabberd's protocol channel: nothing else may be written to it.
    const { runExtauth } = await import('./cli/extauth.ts');
    await runExtauth(settings, createServices);
    return 0;
  }
  if (command === 'ejabberd') {
    const services = createServices(settings, createLogger('warn', { pretty: false }));
    const { runEjabberdCommand } = await import('./cli/ejabberd-commands.ts');
    try {
      await runEjabberdCommand(settings, services, rest, values as Flags, { out: (line) => console.log(line), err: (line) => console.error(line), configFile: values.config, bin: process.argv[1]! });
    } finally {
      services.store.close();
    }
    return 0;
  }
  if (command === 'package') {
    const services = createServices(settings, createLogger('warn', { pretty: false }));
    const { runPackageCommand } = await import('./cli/package-commands.ts');
    try {
      await runPackageCommand(settings, services, rest, values as Flags, { out: (line) => console.log(line), err: (text) => process.stderr.write(text), tty: process.stderr.isTTY === true });
    } finally {
      services.store.close();
    }
    return 0;
  }
  if (command === 'domain' && rest[0] === 'dns') return (await import('./cli/dns-check.ts')).runDnsCheck(settings, rest, values as Flags, (line) => console.log(line));
  if (!['user', 'domain', 'token'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  const services = createServices(settings, createLogger('warn', { pretty: false }));
  try {
    await runAdminCommand(services, command, rest, values as Flags, (line) => console.log(line));
  } finally {
    services.store.close();
  }
  return 0;
}

/**
 * SIGTERM/SIGINT close the gateway within shutdownSeconds: exit 0 when everything closed, 1 with
 * a line naming what did not finish. A second signal exits at once (1), naming the step it cut short.
 */
function stopOnSignals(gateway: Gateway, seconds: number, log: Logger): void {
  let closing: string | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.error({ closing }, `${signal} again: exiting now, shutdown cut short${closing ? ` while closing ${closing}` : ''}`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: shutting down (at most ${seconds} s; ${signal} again exits at once)`);
    // close() keeps its own deadline; this one is for a close() that itself never returns.
    setTimeout(() => {
      log.error({ closing }, `shutdown did not return within ${seconds + 5} s${closing ? `; still closing ${closing}` : ''}`);
      process.exit(1);
    }, (seconds + 5) * 1000).unref();
    gateway
      .close({
        onStep: (name) => {
          closing = name;
          log.info(`shutdown: closing ${name}`);
        },
      })
      .then(
        () => {
          log.info('shutdown complete');
          process.exit(0);
        },
        (e: unknown) => {
          log.error((e as Error).message);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Exit codes (README "Command line"): 0 done, 1 the operation failed, 2 the command line is wrong.
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const usage = e instanceof CommandLineError ? e.usage : current ? commandLine.usageOf(current) : commandLine.list();
      console.error(`herald-gateway: ${(e as Error).message}\n\n${usage}`);
      process.exit(2);
    }
    if (e instanceof Error && e.name === 'NotRunningError') console.error(`herald-gateway: ${e.message}`);
    else if (e instanceof Error && e.name === 'ConfigError') console.error(`herald-gateway: configuration error:\n${e.message}`);
    else if (e instanceof HeraldError) console.error(`herald-gateway: ${e.message}`);
    else if (e instanceof Error) console.error(`herald-gateway: ${e.message}`);
    else console.error('herald-gateway: failed', e);
    process.exit(1);
  },
);
