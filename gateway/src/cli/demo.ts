// `serve --demo`: the embedded default. On an empty data folder it creates domain example.com,
// users alice, bob and carol (passwords generated and printed once) and a Maildir store with a
// few messages; on later runs it keeps what is there.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AdminUsers } from '../admin/users.ts';
import { cliActor } from '../admin/audit.ts';
import type { Settings } from '../config/schema.ts';
import type { Directory } from '../directory/directory.ts';
import type { TokenService } from '../directory/tokens.ts';
import { composeMessage, deliverToMaildir, ensureMaildirFolder } from '../mail/maildir/deliver.ts';
import { maildirRoot } from '../mail/maildir/layout.ts';

const DOMAIN = 'example.com';
const USERS = [
  { local: 'alice', name: 'Alice Adams' },
  { local: 'bob', name: 'Bob Baker' },
  { local: 'carol', name: 'Carol Clark' },
];

const password = () => randomBytes(9).toString('base64url');

export async function seedDemo(settings: Settings, directory: Directory, tokens: TokenService, adminUsers?: AdminUsers): Promise<string | undefined> {
  if (directory.listDomains().length > 0) return undefined;
  directory.addDomain(DOMAIN, true);
  const lines: string[] = [];
  for (const u of USERS) {
    const pw = password();
    const account = await directory.addUser(`${u.local}@${DOMAIN}`, pw, u.name);
    lines.push(`  ${account.address.padEnd(20)} password ${pw}`);
    if (settings.mail.source === 'maildir') await seedMailbox(maildirRoot(settings.mail.maildir.root, account, settings.dataDir), account.address, settings.mail.maildir.separator);
  }
  // The demo's first user is its admin (README "Admin console").
  adminUsers?.setAdmin(cliActor(), `alice@${DOMAIN}`, true);
  const enroll = tokens.issueEnroll(`alice@${DOMAIN}`);
  const url = `http://localhost:${settings.http.port}`;
  return [
    'Demo data created (shown only this once — note the passwords):',
    ...lines,
    '',
    `  one-time enrollment token for alice (expires ${enroll.expiresAt.toISOString()}):`,
    `    ${enroll.token}`,
    '',
    '  try it:',
    `    curl -s -X POST ${url}/api/v1/session -H 'content-type: application/json' \\`,
    `         -d '{"user":"alice@${DOMAIN}","password":"<alice's password>"}'`,
    `    curl -s ${url}/api/v1/folders -H 'authorization: Bearer <deviceToken>'`,
    `  admin console: ${url}/admin — sign in as alice@${DOMAIN} with her password (this machine only;`,
    '    two-factor sign-in: its "Two-factor" page)',
    `  chat: any XMPP client (Gajim, Conversations, slixmpp) to localhost:${settings.xmpp.port} as alice@${DOMAIN}`,
    '    (STARTTLS with a self-signed certificate made in the data folder: accept it once)',
    `  then drop a message file into ${maildirRoot(settings.mail.maildir.root, { address: `alice@${DOMAIN}`, local: 'alice', domain: DOMAIN }, settings.dataDir)}/new/`,
  ].join('\n');
}

async function seedMailbox(root: string, address: string, separator: string): Promise<void> {
  if (existsSync(root)) return;
  const day = 24 * 3600_000;
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day);
  const mail = (from: string, subject: string, body: string, daysAgo: number) => composeMessage({ from, to: address, subject, body, date: at(daysAgo) });
  await ensureMaildirFolder(root);
  await deliverToMaildir(root, mail('Herald <herald@example.com>', 'Welcome to Herald', 'Your tray app tells you about new mail here.', 3), { seen: true });
  await deliverToMaildir(root, mail('Bob Baker <bob@example.com>', 'Lunch on Friday?', 'The usual place at noon?', 1));
  await deliverToMaildir(root, mail('Jürgen Müller <jm@example.org>', 'Angebot für das Projekt', 'Anbei unser Angebot.', 0));
  await deliverToMaildir(root, mail(address, 'Re: Quarterly numbers', 'Sent them over.', 2), { folder: 'Sent', seen: true, separator });
  await deliverToMaildir(root, mail(address, 'Notes for the all-hands', 'Draft…', 1), { folder: 'Drafts', seen: true, separator });
  await deliverToMaildir(root, mail('Newsletter <news@example.net>', 'This week in mail', 'Unsubscribe below.', 5), { folder: 'Trash', seen: true, separator });
  await deliverToMaildir(root, mail('Carol Clark <carol@example.com>', 'Herald: tray icon drafts', 'Three variants attached.', 0), { folder: 'Projects/Herald', separator });
  await deliverToMaildir(root, mail('CI <ci@example.com>', 'Build #42 passed', 'All green.', 0), { folder: 'Projects/Herald', seen: true, separator });
}
