// `herald-gateway user|domain|token ...`: admin commands that work on the data folder directly,
// also while `serve` runs on it (SQLite WAL; the server notices within a second).
import type { createServices } from '../main.ts';
import { cliActor } from '../admin/audit.ts';
import { HeraldError } from '../protocol/errors.ts';
import { UPDATE_MODES, type UpdateMode } from '../store/domains.ts';
import { readPassword } from './prompt.ts';

type Services = ReturnType<typeof createServices>;
export type Flags = Record<string, string | boolean | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

const need = (arg: string | undefined, what: string): string => {
  if (!arg) throw new UsageError(`missing ${what}`);
  return arg;
};
const onOff = (v: string | boolean | undefined): boolean => {
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new UsageError(`--im takes on or off (got ${String(v)})`);
};
const updateMode = (v: string | boolean | undefined): UpdateMode => {
  const mode = UPDATE_MODES.find((m) => m === v);
  if (!mode) throw new UsageError(`--updates takes ${UPDATE_MODES.join(', ')} (got ${String(v)})`);
  return mode;
};
const when = (ms: number | null) => (ms ? new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z') : '-');
/** "1 device token", "2 device tokens". */
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export async function runAdminCommand(s: Services, group: string, args: string[], flags: Flags, out: (line: string) => void): Promise<void> {
  const [action, target] = args;
  // Changes go through the admin use cases (gateway/src/admin/): the console's code, audited as cli@<host>.
  const actor = cliActor();
  const password = async () => (typeof flags.password === 'string' ? flags.password : readPassword(`Password for ${target}: `));
  switch (`${group} ${action ?? ''}`.trim()) {
    case 'user add': {
      const address = need(target, 'address (user add <local@domain>)');
      const pw = s.directory.backendName === 'local' || flags.password ? await password() : null;
      const a = await s.admin.users.add(actor, address, pw, typeof flags.name === 'string' ? flags.name : undefined);
      return out(`added ${a.address} (${a.displayName})`);
    }
    case 'user del': {
      const address = need(target, 'address (user del <local@domain>)');
      s.admin.users.remove(actor, address);
      return out(`deleted ${address}; its device tokens no longer work and its sessions end`);
    }
    case 'user passwd': {
      const address = need(target, 'address (user passwd <local@domain>)');
      if (!s.directory.get(address)) throw new HeraldError('not_found', `no user ${address}`);
      const { devicesRevoked } = await s.admin.users.setPassword(actor, address, await password(), flags['keep-devices'] === true);
      return out(
        `password of ${address} changed; its failed sign-ins are forgotten; sessions that used the old one end${devicesRevoked ? `, and ${devicesRevoked} device token(s) were revoked (--keep-devices keeps them)` : ''}`,
      );
    }
    case 'user unlock': {
      const address = need(target, 'address (user unlock <local@domain>)');
      const had = s.admin.users.unlock(actor, address);
      return out(had ? `forgot the failed sign-ins of ${address}: it signs in from anywhere at full speed again` : `${address} had no failed sign-ins to forget`);
    }
    case 'user admin': {
      const how = target;
      if (how !== 'grant' && how !== 'revoke') throw new UsageError('user admin takes grant or revoke: user admin grant|revoke <local@domain>');
      const address = need(args[2], `address (user admin ${how} <local@domain>)`);
      const changed = s.admin.users.setAdmin(actor, address, how === 'grant');
      return out(
        how === 'grant'
          ? changed
            ? `${address} is now an admin: it signs in to the admin console (/admin) with its password`
            : `${address} already was an admin`
          : changed
            ? `${address} is no longer an admin (its console second factor is forgotten)`
            : `${address} was not an admin`,
      );
    }
    case 'user list': {
      const users = s.directory.listUsers(typeof flags.domain === 'string' ? flags.domain : undefined);
      for (const u of users) out(`${u.address.padEnd(32)} ${u.displayName}`);
      return out(`${users.length} user(s)`);
    }
    case 'domain add': {
      const d = s.admin.domains.add(actor, need(target, 'domain name'), flags.im === undefined ? true : onOff(flags.im));
      return out(`added domain ${d.name} (IM ${d.imEnabled ? 'on' : 'off'})`);
    }
    case 'domain set': {
      const name = need(target, 'domain name');
      if (flags.im === undefined && flags.updates === undefined && flags.webmail === undefined) throw new UsageError('nothing to set: use --im on|off, --updates off|notify|automatic and/or --webmail TEMPLATE|default');
      const mode = flags.updates === undefined ? undefined : updateMode(flags.updates);
      const on = flags.im === undefined ? undefined : onOff(flags.im);
      const webmail = typeof flags.webmail === 'string' ? (flags.webmail === 'default' ? null : flags.webmail) : undefined;
      // The client settings first: the console's own check (admin/domains.ts setClient), so a bad
      // template stops the command before IM is switched.
      if (mode !== undefined || webmail !== undefined) s.admin.domains.setClient(actor, name, { updates: mode, webmailUrl: webmail });
      if (on !== undefined) {
        s.admin.domains.setIm(actor, name, on);
        out(`IM for ${name} is now ${on ? 'on' : 'off'}`);
      }
      if (mode !== undefined) out(`desktop updates for ${name}: ${mode}`);
      if (webmail !== undefined) out(webmail === null ? `webmail link for ${name}: the config file's again` : `webmail link for ${name}: ${webmail.trim() || '(none)'}`);
      return;
    }
    case 'domain list': {
      const domains = s.directory.listDomains();
      for (const d of domains) {
        const linked = s.directory.linkedDomains(d.name);
        // Updates are named when not the default (notify): the line stays as scripts knew it.
        const updates = d.updates === 'notify' ? '' : `  updates ${d.updates}`;
        out(`${d.name.padEnd(32)} IM ${d.imEnabled ? 'on' : 'off'}  users ${s.directory.listUsers(d.name).length}${linked.length ? `  linked ${linked.join(', ')}` : ''}${updates}`);
      }
      return out(`${domains.length} domain(s)`);
    }
    case 'domain link': {
      const other = need(args[2], 'second domain (domain link <domain> <domain>)');
      const added = s.admin.domains.link(actor, need(target, 'domain name'), other);
      return out(added ? `linked ${target} and ${other}: their users now see each other as contacts` : `${target} and ${other} were already linked`);
    }
    case 'domain unlink': {
      const other = need(args[2], 'second domain (domain unlink <domain> <domain>)');
      if (!s.admin.domains.unlink(actor, need(target, 'domain name'), other)) throw new HeraldError('not_found', `${target} and ${other} are not linked`);
      return out(`unlinked ${target} and ${other}: their users no longer see each other (contacts they added themselves stay)`);
    }
    case 'token enroll': {
      const address = need(target, 'address (token enroll <local@domain>)');
      const hours = flags.ttl === undefined ? undefined : Number(flags.ttl);
      if (hours !== undefined && !(hours > 0)) throw new UsageError('--ttl takes a number of hours > 0');
      const t = s.admin.users.enroll(actor, address, hours === undefined ? undefined : hours * 3600_000);
      out(t.token);
      return process.stderr.write(`one-time enrollment token for ${t.address}, expires ${t.expiresAt.toISOString()}\n`) as unknown as void;
    }
    case 'token revoke': {
      const address = need(target, 'address (token revoke <local@domain> [--device ID])');
      const device = flags.device === undefined ? undefined : Number(flags.device);
      if (device !== undefined && !(Number.isInteger(device) && device > 0)) throw new UsageError(`--device takes a device id, a number (see token list ${address})`);
      const n = s.admin.users.revokeDevices(actor, address, device);
      if (device !== undefined) return out(`revoked device ${device} of ${address}; the app on it signs in again`);
      if (!n.devices && !n.enrollments) return out(`${address} had no live device tokens or unused enrollment tokens; nothing revoked`);
      const kinds = [n.devices && count(n.devices, 'device token'), n.enrollments && count(n.enrollments, 'enrollment token')].filter(Boolean);
      return out(`revoked ${kinds.join(', ')} of ${address}`);
    }
    case 'token list': {
      const address = need(target, 'address (token list <local@domain>)');
      const { account, devices, enrollments } = s.tokens.listTokens(address);
      for (const d of devices) {
        out(
          `device ${String(d.id).padEnd(5)} ${(d.label ?? '(no name)').padEnd(24)} ${(d.platform ?? '?').padEnd(12)} created ${when(d.createdAt)}  last used ${d.lastUsedAt ? when(d.lastUsedAt) : 'never'.padEnd(20)}${d.lastAddress ? ` from ${d.lastAddress}` : ''}  ${d.revokedAt ? `revoked ${when(d.revokedAt)}` : 'live'}`,
        );
      }
      for (const e of enrollments) out(`enrollment ${String(e.id).padEnd(5)} unused, created ${when(e.createdAt)}  expires ${when(e.expiresAt)}`);
      const live = devices.filter((d) => d.revokedAt === null).length;
      return out(`${account.address}: ${count(live, 'live device')}${devices.length > live ? ` (${devices.length - live} revoked)` : ''}, ${count(enrollments.length, 'unused enrollment token')}`);
    }
    case 'domain del': {
      const domain = need(target, 'domain name (domain del <domain> [--force])');
      const r = s.directory.removeDomain(domain, { force: flags.force === true });
      s.admin.audit.record(actor, 'domain.delete', domain.trim().toLowerCase(), { accounts: r.accounts.length, devices: r.devices, enrollments: r.enrollments });
      const what = r.accounts.length ? ` with ${count(r.accounts.length, 'account')} (${r.accounts.join(', ')}), ${count(r.devices, 'device token')}, ${count(r.enrollments, 'enrollment token')}; their sessions end` : '';
      return out(`deleted domain ${domain.trim().toLowerCase()}${what}${r.links.length ? `; unlinked from ${r.links.join(', ')}` : ''}; message logs are kept`);
    }
    default:
      throw new UsageError(`unknown command: ${group} ${action ?? ''}`);
  }
}
