// The gateway's settings: one zod schema, defaults included. Every key can come from the
// config file (JSON), from HERALD_* environment variables, or from CLI flags (see load.ts).
import { z } from 'zod';
import { AdminAlertRuleSchema } from '../protocol/admin-alerts.ts';
import { webmailTemplateProblem } from '../protocol/webmail-template.ts';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(['true', 'false', 'on', 'off', '1', '0']).transform((v) => v === 'true' || v === 'on' || v === '1')]);

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not an IANA time zone (e.g. "Europe/Berlin", "UTC")');

/** client.webmailUrl: `<preset>:<url>` or an http(s) URL template (protocol/webmail-template.ts). */
const webmailUrl = z.string().superRefine((t, ctx) => {
  const problem = webmailTemplateProblem(t);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const imapServer = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(143),
  /** Implicit TLS (port 993). With false, STARTTLS is used when the server offers it. */
  secure: bool.default(false),
  /** Refuse to log in without TLS (false only for loopback or test servers). */
  requireTls: bool.default(false),
  rejectUnauthorized: bool.default(true),
});

export const SettingsSchema = z.strictObject({
  /** Data folder: SQLite database, Maildir store (demo), logs, spool. */
  dataDir: z.string().min(1).default('./data'),
  /** How long `serve` may take to close everything on SIGTERM/SIGINT before it gives up and exits non-zero. */
  shutdownSeconds: seconds.default(10),
  http: z
    .strictObject({
      /** Loopback by default: reachable from this machine only (plain HTTP and HTTPS). Any other address is exposed: HTTPS only, and http.publicUrl is required. */
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(3000),
      /** Public base URL clients use; required (https) on a non-loopback host; default on loopback http://<host>:<port>. */
      publicUrl: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL').optional(),
      /** PEM files HTTPS serves; default: the XMPP certificate (xmpp.tlsCert/xmpp.tlsKey, or the self-signed one in <data>/tls/). */
      tlsCert: z.string().min(1).optional(),
      tlsKey: z.string().min(1).optional(),
      /** Largest JSON request body accepted. */
      bodyLimitBytes: z.coerce.number().int().min(256).max(10 * 1024 * 1024).default(64 * 1024),
      /** Behind a reverse proxy: trust its X-Forwarded-For (client address) and X-Forwarded-Proto (https counts as encrypted). */
      trustProxy: bool.default(false),
    })
    .prefault({}),
  xmpp: z
    .strictObject({
      /** The embedded XMPP server, globally (per domain: `domain set <d> --im on|off`). */
      enabled: bool.default(true),
      /**
       * `embedded`: this gateway's XMPP server carries the chat. `external`: an ejabberd cluster does
       * (README "Running IM on an ejabberd cluster"); the embedded server does not start, and
       * /api/v1/config points desktops at xmpp.external's endpoints.
       */
      mode: z.enum(['embedded', 'external']).default('embedded'),
      /** Loopback by default; set it (e.g. 0.0.0.0) to let other machines connect. */
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(5222),
      /** Refuse authentication before STARTTLS (RFC 6120 §5.3.1), and over WebSocket without wss (or a trusted proxy's https). Only for loopback tests. */
      requireTls: bool.default(true),
      /**
       * Count plain ws:// from a loopback peer without proxy headers as encrypted (XMPP over WebSocket).
       * For the demo and the desktop preview only (`serve --demo` on a loopback bind turns it on): a plain-HTTP
       * proxy on the same host would get around requireTls with it.
       */
      plainWebSocketFromLoopback: bool.default(false),
      /** PEM files; without them a self-signed certificate is made in <data>/tls/. */
      tlsCert: z.string().optional(),
      tlsKey: z.string().optional(),
      maxStanzaBytes: z.coerce.number().int().min(4096).default(256 * 1024),
      maxConnectionsPerAddress: z.coerce.number().int().positive().default(100),
      /** Close a connection that sent nothing for this long (clients ping well within it). */
      idleSeconds: seconds.default(600),
      maxAuthFailures: z.coerce.number().int().positive().default(3),
      /** Stream management (XEP-0198): how long a session whose connection dropped waits to be resumed; 0 = no resumption. */
      resumeSeconds: z.coerce.number().int().min(0).default(300),
      /** XEP-0198: unacknowledged stanzas a waiting session may hold (a connected one 10×); beyond it the session ends (its messages go to offline storage). */
      smMaxUnacked: z.coerce.number().int().positive().default(5000),
      /** Offline messages kept per user before senders get a resource-constraint error. */
      offlineQuota: z.coerce.number().int().positive().default(1000),
      /** Personal roster entries per user (contacts added, renamed, regrouped or hidden); more are refused. */
      rosterMaxItems: z.coerce.number().int().positive().default(1000),
      /** PEP (XEP-0163: bookmarks, avatars, OMEMO keys): limits per user; beyond them publishing is refused with a text saying which. */
      pep: z
        .strictObject({
          /** Largest item payload (serialized XML); an avatar's base64 data counts. */
          maxItemBytes: z.coerce.number().int().min(1024).default(192 * 1024),
          /** Items one node keeps (pubsub#max_items may ask for fewer; `max` means this). */
          maxItemsPerNode: z.coerce.number().int().positive().default(256),
          /** Nodes one user may have. */
          maxNodes: z.coerce.number().int().positive().default(64),
        })
        .prefault({}),
      /** Direct TLS (XEP-0368, TLS from the first byte; 5223 is customary); unset = off. Needs the certificate above. */
      directTlsPort: port.optional(),
      /** External components (XEP-0114): each owns a domain and proves `secret` at the handshake. */
      components: z.array(z.strictObject({ domain: z.string().min(1), secret: z.string().min(16, 'a component secret needs at least 16 characters') })).default([]),
      /** Where components connect (only when some are configured); keep it on loopback or a private network. */
      componentHost: z.string().default('127.0.0.1'),
      componentPort: port.default(5347),
      /**
       * End-to-end encryption (OMEMO) as a company decision, per domain. `deny` (the default: every IM
       * passes through the server and is logged in clear): OMEMO device-list publishing is refused and
       * encrypted-only messages are bounced with a text saying why. `allow`: OMEMO works through PEP and
       * the central log records that a message was encrypted (from, to), never pretending to hold its text.
       */
      e2ee: z
        .strictObject({
          default: z.enum(['allow', 'deny']).default('deny'),
          /** Per mail domain, overriding `default`: { "example.com": "allow" }. */
          domains: z.record(z.string().transform((d) => d.toLowerCase()), z.enum(['allow', 'deny'])).default({}),
        })
        .prefault({}),
      /** Message archive (MAM) retention in days: older messages are purged at start and hourly; 0 = no archive. */
      archiveDays: z.coerce.number().int().min(0).default(365),
      /** HTTP File Upload (XEP-0363): the component upload.<domain>, files served by the HTTP side at /upload/. */
      upload: z
        .strictObject({
          /** Off: no upload.<domain> component and no /upload/ routes. */
          enabled: bool.default(true),
          /** Largest file a slot is given for (larger requests get <not-acceptable/> + <file-too-large/>). */
          maxFileBytes: z.coerce.number().int().positive().default(50 * 1024 * 1024),
          /** How long a slot's PUT URL stays usable (the upload must start within it). */
          slotTtlSeconds: seconds.default(300),
          /** Uploaded files are deleted this many days after upload (at start and hourly); 0 = kept forever. */
          retentionDays: z.coerce.number().int().min(0).default(30),
          /** Bytes one user may hold (uploaded files within retention plus open slots); 0 = no quota. */
          quotaBytes: z.coerce.number().int().min(0).default(0),
          /** Slots one user may hold open (asked for, not yet uploaded) at a time. */
          maxPendingSlots: z.coerce.number().int().positive().default(20),
        })
        .prefault({}),
      /**
       * An ejabberd cluster carrying the chat (README "Running IM on an ejabberd cluster"): what
       * `herald-gateway ejabberd config` writes into ejabberd.yml, and where `ejabberd roster` sends
       * the shared roster groups.
       */
      external: z
        .strictObject({
          /** The address ejabberd's client listeners (c2s, WebSocket) bind on each node. */
          listenHost: z.string().min(1).default('0.0.0.0'),
          /** Client-to-server TCP (STARTTLS required). */
          c2sPort: port.default(5222),
          /** XMPP over WebSocket at /ws (ejabberd_http). */
          websocketPort: port.default(5280),
          /** TLS on the WebSocket listener itself (wss://); off when a reverse proxy ends TLS in front of it. */
          websocketTls: bool.default(true),
          /** ejabberd's HTTP API (mod_http_api at /api): bound here, and only loopback addresses may call it. */
          apiHost: z.string().min(1).default('127.0.0.1'),
          apiPort: port.default(5281),
          /** PEM files with the certificate and key for every domain; default: xmpp.tlsCert and xmpp.tlsKey. */
          certfiles: z.array(z.string().min(1)).default([]),
          /** The host name desktops connect to (TCP and the default WebSocket URL); default: http.publicUrl's. */
          publicHost: z.string().min(1).optional(),
          /** The WebSocket URL desktops use; default: wss://<publicHost>:<websocketPort>/ws (ws:// without websocketTls). */
          websocketUrl: z.string().url().optional(),
          /**
           * The extauth_program line; default: this node and herald-gateway with `extauth --data <dataDir>`
           * (and `--config FILE` when one was given). ejabberd splits it at spaces (no shell).
           */
          extauthCommand: z.string().min(1).optional(),
          /**
           * ejabberd's message archive (mod_mam, `db_type: sql`) as an SQLite file (%data% = the data
           * folder) that every node and the gateway can open: `serve` tails it into the central IM log
           * (xmpp/external/archive-tail.ts). Unset: mod_mam keeps Mnesia and the log is not fed.
           */
          archiveDb: z.string().min(1).optional(),
          /** How often `serve` looks for new archive rows when no change to the file woke it earlier. */
          archivePollMs: z.coerce.number().int().min(20).max(60_000).default(250),
          /**
           * ejabberd's message archive on PostgreSQL (postgres://user:password@host:port/database), which
           * every node of a cluster writes and `serve` tails into the central IM log
           * (xmpp/external/pg-archive-tail.ts). Instead of archiveDb (one SQLite file cannot take two nodes).
           */
          archiveUrl: z
            .string()
            .url()
            .refine((u) => /^postgres(ql)?:\/\//.test(u), 'a postgres:// URL')
            .optional(),
          /**
           * mod_http_upload's docroot (%data% = the data folder): where ejabberd keeps uploaded files
           * (xmpp.upload.* give its limits). A cluster's nodes need one shared folder (NFS or the like).
           */
          uploadDir: z.string().min(1).default('%data%/ejabberd-uploads'),
          /** PostgreSQL archive: how long a missing id (an insert not committed yet) holds later rows back before it is given up as rolled back. */
          archiveGapGraceMs: z.coerce.number().int().min(0).max(600_000).default(30_000),
        })
        .refine((x) => !(x.archiveDb && x.archiveUrl), { message: 'set archiveDb (SQLite, one node) or archiveUrl (PostgreSQL), not both', path: ['archiveUrl'] })
        .prefault({}),
    })
    .prefault({}),
  directory: z
    .strictObject({
      /** `local`: the gateway's own accounts; `imap`: passwords checked by IMAP LOGIN. */
      backend: z.enum(['local', 'imap']).default('local'),
      imap: imapServer.prefault({}),
      /** imap backend: create the account row on first successful login. */
      autoCreate: bool.default(true),
      /** Passwords set through the CLI or the admin API have at least this many characters. */
      minPasswordLength: z.coerce.number().int().min(1).max(1024).default(10),
    })
    .prefault({}),
  mail: z
    .strictObject({
      source: z.enum(['maildir', 'imap']).default('maildir'),
      maildir: z
        .strictObject({
          /** Maildir++ root per user; %d domain, %n local part, %u address (like Dovecot's mail_location). */
          root: z.string().default('%data%/mail/%d/%n'),
          /** Hierarchy separator used in folder paths (match the IMAP server's namespace separator). */
          separator: z.string().length(1).default('/'),
          /** Safety-net full rescan, in case an inotify event was missed. */
          rescanSeconds: seconds.default(60),
        })
        .prefault({}),
      imap: imapServer
        .extend({
          login: z
            .strictObject({
              /** `master`: log in as `<user><separator><masterUser>` (Dovecot master users);
               *  `authzid`: SASL PLAIN as masterUser with the user as authorization identity. */
              mode: z.enum(['master', 'authzid']).default('master'),
              masterUser: z.string().min(1).default('master'),
              masterPassword: z.string().default(''),
              separator: z.string().min(1).default('*'),
            })
            .prefault({}),
          /**
           * How the gateway learns of mailbox changes. `idle`: one connection per watched user, IDLE on
           * INBOX (Dovecot sends it ~0.5 s after delivery) and a LIST-STATUS sweep every sweepSeconds.
           * `push`: the mail server calls POST /api/v1/mail/push/dovecot at every change (Dovecot's
           * push_notification, README "Mail push from Dovecot"); a user with a client online keeps one
           * connection, others' is opened to read what changed and closed right after (none held).
           */
          changes: z.enum(['idle', 'push']).default('idle'),
          /** push: accept pushes from other machines too (default: loopback peers only; the token is always required). */
          pushFromAnywhere: bool.default(false),
          /** LIST-STATUS sweep of all folders (INBOX is pushed by IDLE); with changes = push only while a connection is held. */
          sweepSeconds: seconds.default(30),
          /** Close a user's connection this long after their last client went away. */
          idleUserSeconds: seconds.default(300),
          connectTimeoutSeconds: seconds.default(10),
        })
        .prefault({}),
    })
    .prefault({}),
  tokens: z
    .strictObject({
      enrollTtlHours: z.coerce.number().positive().default(7 * 24),
    })
    .prefault({}),
  /** Per-user packages (gateway/src/provisioning/, README "Per-user packages"). */
  provisioning: z
    .strictObject({
      /** Generic desktop builds (Herald-<version>-<os>-<arch>.<ext>) that /download and `package` stamp; %data% = the data folder. */
      buildsDir: z.string().min(1).default('%data%/builds'),
      /** Who the app says provisioned it; default: the host name of http.publicUrl. */
      issuer: z.string().trim().min(1).max(200).optional(),
      /** The download page at /download (sign in with mail credentials, get a personal package). */
      downloadPage: bool.default(true),
      /** How long the one-time sign-in inside a downloaded package stays valid. */
      downloadTtlHours: z.coerce.number().positive().max(24 * 366).default(72),
    })
    .prefault({}),
  /** Failed sign-ins (HTTP, /download, XMPP PLAIN and SCRAM; directory/login-guard.ts). Counted in the database: a restart keeps them. */
  rateLimit: z
    .strictObject({
      /** A counter's window starts at its first failure and ends this much later. */
      windowSeconds: seconds.default(900),
      /** Failures from one client address to one account within the window; then that address may not try that account until the window ends. */
      perPair: z.coerce.number().int().positive().default(5),
      /** Failures from one client address (any accounts, and enrollment tokens) within the window; then that address may not try at all. */
      perAddress: z.coerce.number().int().positive().default(20),
      /** Failures to one account from anywhere within the window; then addresses the account never signed in from are slowed (never the owner's usual ones). */
      perAccount: z.coerce.number().int().positive().default(10),
      /** Once slowed: the first interval between attempts from unfamiliar addresses; it doubles with each further failure… */
      firstDelaySeconds: z.coerce.number().int().min(1).max(3600).default(1),
      /** …up to this. */
      maxDelaySeconds: z.coerce.number().int().min(1).max(3600).default(60),
      /** A successful sign-in makes its client address familiar to the account for this long. */
      familiarDays: z.coerce.number().positive().default(30),
      /** Password hashes (scrypt, HTTP sign-in and /download) computed at once; one more is refused with 429 busy. */
      maxConcurrentHashes: z.coerce.number().int().positive().max(64).default(2),
    })
    .prefault({}),
  /** What GET /api/v1/config hands the desktop: admin choices the app obeys and the user cannot override. */
  client: z
    .strictObject({
      webmailUrl: webmailUrl.default('http://localhost/roundcube/?_task=mail&_mbox={folder}'),
      pollSeconds: seconds.default(60),
      defaultSkin: z.string().default('Default'),
      skinLocked: bool.default(false),
      sounds: bool.default(true),
      digestThreshold: z.coerce.number().int().positive().default(5),
      alertFolders: z.enum(['all', 'inbox']).default('all'),
      /** Per mail domain: any of the keys above, for that domain's users (config file only). */
      domains: z
        .record(
          z.string().transform((d) => d.trim().toLowerCase()),
          z
            .strictObject({
              webmailUrl,
              pollSeconds: seconds,
              defaultSkin: z.string(),
              skinLocked: bool,
              sounds: bool,
              digestThreshold: z.coerce.number().int().positive(),
              alertFolders: z.enum(['all', 'inbox']),
            })
            .partial(),
        )
        .default({}),
    })
    .prefault({}),
  im: z
    .strictObject({
      /** Sender of scripted messages that name none (`im send` without --from); %d = the recipient's domain. */
      serviceAddress: z.string().min(3).default('herald@%d'),
      /** The SEM spool (scripts drop IM-<number>.SEM files here; see gateway/src/im/spool/spool.ts). */
      spool: z
        .strictObject({
          /** The spool folder (%data% = the data folder); work/ and bad/ are made inside it. */
          dir: z.string().min(1).default('%data%/spool/im'),
          /** Largest SEM file accepted (addresses + text, bytes); bigger ones go to bad/. */
          maxBytes: z.coerce.number().int().min(256).max(16 * 1024 * 1024).default(256 * 1024),
          /** Safety-net full rescan of the folder, in case a change notification was missed. */
          rescanSeconds: seconds.default(5),
        })
        .prefault({}),
      /** Time zone of dates in alert IMs ($DATE$); an IANA name. */
      timeZone: timeZone.default('UTC'),
      /** Language of dates in alert IMs (a BCP 47 tag: en-GB "Fri, 27 Nov 2026, 10:00 CET", de-DE ...). */
      locale: z.string().min(2).default('en-GB'),
      /** Mail-to-IM alert rules (gateway/src/im/alerts/, README "Mail-to-IM alert rules"). */
      alerts: z
        .strictObject({
          /** Off: no rule fires and users are watched only while a client of theirs runs (rules can still be edited). */
          enabled: bool.default(true),
          /** The admin's rules, each for `domains` and/or `users`; users see them read-only. */
          rules: z
            .array(AdminAlertRuleSchema)
            .default([])
            .superRefine((rules, ctx) => {
              const seen = new Set<string>();
              rules.forEach((r, i) => {
                if (seen.has(r.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `another admin rule is named "${r.name}"` });
                seen.add(r.name.toLowerCase());
              });
            }),
          /** Personal rules one user may keep (PUT /api/v1/alert-rules); 0 = no personal rules. */
          maxRulesPerUser: z.coerce.number().int().min(0).max(1000).default(20),
          /** Rate limit: the window, per recipient… */
          windowSeconds: seconds.default(600),
          /** …in which one rule sends one recipient at most this many IMs… */
          perRule: z.coerce.number().int().positive().default(5),
          /** …and all rules together at most this many; the rest become ONE summary IM at the window's end. */
          perRecipient: z.coerce.number().int().positive().default(20),
        })
        .prefault({}),
      /** Calendar reminders and invitation summaries as IMs (gateway/src/im/calendar/, README "Calendar reminders and invitations"). */
      calendar: z
        .strictObject({
          /** Each user's CalDAV calendar home: {user} = address, {local}, {domain} (URL-encoded). Unset: no reminders, no conflict checks. */
          url: z
            .string()
            .refine((u) => /^https?:\/\//.test(u) && URL.canParse(u.replace(/\{(user|local|domain)\}/g, 'x')), 'an http(s) URL, with {user}, {local} or {domain} where the user goes')
            .optional(),
          /** Account the gateway reads every user's calendars with (HTTP Basic); unset: no credentials. */
          username: z.string().min(1).optional(),
          password: z.string().default(''),
          /** How often each user's calendars are checked for changes (ctag/ETag: unchanged ones cost one PROPFIND). */
          pollSeconds: seconds.default(300),
          /** How far ahead events are read; an alarm set further ahead of its event than this is sent when the event comes into view. */
          lookaheadHours: z.coerce.number().int().min(1).max(24 * 31).default(48),
          /** Reminder this long before events (not all-day ones) that have no alarm of their own; 0 = none. */
          defaultLeadMinutes: z.coerce.number().int().min(0).max(7 * 24 * 60).default(15),
          /** Limit for one CalDAV request. */
          timeoutSeconds: seconds.default(15),
          /**
           * IM summaries of iMIP invitations, cancellations and replies arriving by mail (needs no CalDAV):
           * `all` watches every user's mailbox all the time (in imap mode one IMAP connection per user);
           * `connected` only while a client of theirs runs (or alert rules keep them watched); `off`.
           */
          invitations: z.enum(['all', 'connected', 'off']).default('all'),
          /** Per user (address): another calendar home, own credentials (e.g. an app password), own time zone (default im.timeZone). */
          users: z
            .record(
              z.string().transform((a) => a.trim().toLowerCase()),
              z.strictObject({
                url: z.string().url().optional(),
                username: z.string().min(1).optional(),
                password: z.string().optional(),
                timeZone: timeZone.optional(),
              }),
            )
            .default({}),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The admin console at /admin on the HTTP port, and its API /api/v1/admin (README "Admin console"). */
  admin: z
    .strictObject({
      enabled: bool.default(true),
      /**
       * The console answers only clients on this machine (loopback; behind http.trustProxy, the
       * forwarded client address counts) unless this is true: exposing it is an explicit choice.
       */
      allowRemote: bool.default(false),
      /**
       * The console and /api/v1/admin on a listener of their own (HTTPS, and plain HTTP on a
       * loopback host), and no longer on the HTTP port; unset = at /admin on the HTTP port.
       */
      port: port.optional(),
      /** Where that listener binds (only with admin.port); off loopback it still needs admin.allowRemote for other clients. */
      host: z.string().min(1).default('127.0.0.1'),
      /** A console session unused this long is signed out. */
      idleMinutes: z.coerce.number().int().min(1).max(24 * 60).default(15),
      /** How often the dashboard's live numbers are taken (one snapshot shared by every viewer). */
      liveSeconds: z.coerce.number().int().min(1).max(300).default(5),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Settings = z.infer<typeof SettingsSchema>;
