// The gateway's settings: one zod schema, defaults included. Every key can come from the
// config file (JSON), from HERALD_* environment variables, or from CLI flags (see load.ts).
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(['true', 'false', 'on', 'off', '1', '0']).transform((v) => v === 'true' || v === 'on' || v === '1')]);

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
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(3000),
      /** Public base URL clients use (default http://<host>:<port>). */
      publicUrl: z.string().url().optional(),
      /** Largest JSON request body accepted. */
      bodyLimitBytes: z.coerce.number().int().min(256).max(10 * 1024 * 1024).default(64 * 1024),
      /** Trust X-Forwarded-For (behind a reverse proxy) for rate limiting per address. */
      trustProxy: bool.default(false),
    })
    .prefault({}),
  xmpp: z
    .strictObject({
      /** The embedded XMPP server, globally (per domain: `domain set <d> --im on|off`). */
      enabled: bool.default(true),
      host: z.string().default('0.0.0.0'),
      port: port.default(5222),
      /** Refuse authentication before STARTTLS (RFC 6120 §5.3.1). Only for loopback tests. */
      requireTls: bool.default(true),
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
      /** Direct TLS (XEP-0368, TLS from the first byte; 5223 is customary); unset = off. Needs the certificate above. */
      directTlsPort: port.optional(),
      /** External components (XEP-0114): each owns a domain and proves `secret` at the handshake. */
      components: z.array(z.strictObject({ domain: z.string().min(1), secret: z.string().min(16, 'a component secret needs at least 16 characters') })).default([]),
      /** Where components connect (only when some are configured); keep it on loopback or a private network. */
      componentHost: z.string().default('127.0.0.1'),
      componentPort: port.default(5347),
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
    })
    .prefault({}),
  directory: z
    .strictObject({
      /** `local`: the gateway's own accounts; `imap`: passwords checked by IMAP LOGIN. */
      backend: z.enum(['local', 'imap']).default('local'),
      imap: imapServer.prefault({}),
      /** imap backend: create the account row on first successful login. */
      autoCreate: bool.default(true),
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
          /** LIST-STATUS sweep of all folders (INBOX is pushed by IDLE). */
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
  rateLimit: z
    .strictObject({
      windowSeconds: seconds.default(900),
      /** Failed logins per account within the window before refusing. */
      perAccount: z.coerce.number().int().positive().default(5),
      /** Failed logins per client address within the window before refusing. */
      perAddress: z.coerce.number().int().positive().default(20),
    })
    .prefault({}),
  client: z
    .strictObject({
      webmailUrl: z.string().default('http://localhost/roundcube/?_task=mail&_mbox={folder}'),
      pollSeconds: seconds.default(60),
      defaultSkin: z.string().default('Default'),
      skinLocked: bool.default(false),
      sounds: bool.default(true),
      digestThreshold: z.coerce.number().int().positive().default(5),
      alertFolders: z.enum(['all', 'inbox']).default('all'),
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
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Settings = z.infer<typeof SettingsSchema>;
