// Debian's Prosody as a benchmarked XMPP server, through test/fixtures/prosody.ts (its own process,
// everything in a temp folder, users written as mod_auth_internal_hashed files), with roster files
// for the teams and the room occupants written before any login, and a MUC component
// conference.bench.example (mod_muc; muc_mam with archives on) declared in the fixture's extra
// configuration, so the room settings are ours: 20 messages of history kept (Herald's and
// ejabberd's default too), rooms locked until configured, no tombstones.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProsody, type Prosody } from '../fixtures/prosody.ts';
import { BASE_DOMAIN, localOf, loginSpec, PASSWORD, roomLocalOf, teamMates, type BenchServer, type ServerOptions } from './xmpp-servers.ts';

/** util.datamanager's file-name encoding (every byte outside [A-Za-z0-9] as %xx). */
const dmEncode = (s: string) => [...Buffer.from(s)].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');

const rosterFile = (members: string[]) =>
  `return {\n\t[false] = { ["version"] = 1; ["pending"] = {}; };\n${members
    .map((local) => `\t["${local}@${BASE_DOMAIN}"] = { ["subscription"] = "both"; ["name"] = "${local}"; ["groups"] = { ["team"] = true; }; };`)
    .join('\n')}\n};\n`;

export async function startProsodyServer(
  o: ServerOptions & {
    logLevel: 'info' | 'warn';
    /** Modules of the fixture's list to switch off (e.g. mam). */
    disable: string[];
  },
): Promise<BenchServer & { prosody: Prosody }> {
  const users = [
    ...Array.from({ length: o.count }, (_, i) => ({ address: `${localOf(i)}@${BASE_DOMAIN}`, password: PASSWORD })),
    ...Array.from({ length: o.room }, (_, j) => ({ address: `${roomLocalOf(j)}@${BASE_DOMAIN}`, password: PASSWORD })),
  ];
  const mucService = `conference.${BASE_DOMAIN}`;
  // (The fixture puts extraConfig before its VirtualHost line; a Component section may come first.)
  const extraConfig =
    (o.disable.length ? `modules_disabled = { "s2s", ${o.disable.map((m) => `"${m}"`).join(', ')} }\n` : '') +
    `\nComponent "${mucService}" "muc"\n` +
    (o.mam ? '  modules_enabled = { "muc_mam" }\n  muc_log_expires_after = "never"\n' : '') +
    '  muc_room_default_history_length = 20\n  muc_tombstones = false\n';
  // Scenario (f): everyone's roster is everyone through mod_groups (one group of all users, in
  // memory, injected into each roster as it loads, subscribed both ways): no roster files.
  const groupsDir = o.everyone ? mkdtempSync(path.join(tmpdir(), 'herald-prosody-groups-')) : undefined;
  const groupsFile = groupsDir && path.join(groupsDir, 'groups.txt');
  if (groupsFile) writeFileSync(groupsFile, `[everyone]\n${Array.from({ length: o.count }, (_, i) => `${localOf(i)}@${BASE_DOMAIN}=${localOf(i)}\n`).join('')}`);
  const prosody = await startProsody({
    domain: BASE_DOMAIN,
    users,
    tls: o.tls,
    iterations: 4096,
    logLevel: o.logLevel,
    cpu: o.cpu,
    // admin_shell: the benchmark asks for a full Lua GC (collectGarbage below), as it asks Herald's V8 for one.
    modules: [...(groupsFile ? ['groups'] : []), 'admin_shell'],
    extraConfig: (groupsFile ? `groups_file = "${groupsFile}"\n` : '') + extraConfig,
  });
  // Rosters: the team, subscribed both ways (what Herald's domain roster is), written before any login.
  const dir = path.join(prosody.dir, 'data', dmEncode(BASE_DOMAIN), 'roster');
  mkdirSync(dir, { recursive: true });
  if (o.team > 1 && !o.everyone) for (let i = 0; i < o.count; i++) writeFileSync(path.join(dir, `${dmEncode(localOf(i))}.dat`), rosterFile(teamMates(i, o.team, o.count).map(localOf)));
  for (let j = 0; j < o.room; j++) writeFileSync(path.join(dir, `${dmEncode(roomLocalOf(j))}.dat`), rosterFile(teamMates(j, o.room, o.room).map(roomLocalOf)));
  const pid = prosody.pid();
  if (pid === undefined) throw new Error('Prosody has no pid');
  return {
    name: 'Prosody',
    prosody,
    port: prosody.port,
    pid,
    mucService,
    spec: (i, s) => loginSpec(prosody.port, BASE_DOMAIN, localOf(i), PASSWORD, s),
    roomSpec: (j, s) => loginSpec(prosody.port, BASE_DOMAIN, roomLocalOf(j), PASSWORD, s),
    // A full Lua GC through the admin shell (mod_admin_shell, prosodyctl shell: a line starting with
    // ">" is Lua); its answer, Lua's memory after it in KiB, is the "heap" the runs report.
    async collectGarbage() {
      const r = spawnSync('prosodyctl', ['--config', prosody.configFile, 'shell', '>collectgarbage("collect"); return collectgarbage("count")'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin` },
        timeout: 30_000,
      });
      const kib = Number(/Result: ([\d.]+)/.exec(r.stdout)?.[1]);
      if (r.status !== 0 || !Number.isFinite(kib)) throw new Error(`Prosody: no full GC through prosodyctl shell: ${r.stdout}${r.stderr}`);
      const bytes = Math.round(kib * 1024);
      return { rss: 0, heapTotal: bytes, heapUsed: bytes, external: 0, arrayBuffers: 0 };
    },
    problems() {
      const lines = prosody.log().split('\n');
      // (The benchmark's own modules_disabled line repeats the fixture's: Prosody warns about it.)
      const bad = lines.filter((l) => /\t(warn|error)\t/.test(l) && !l.includes("Duplicate option 'modules_disabled'"));
      const samples: string[] = [];
      for (const l of bad) if (samples.length < 8 && !samples.some((s) => s.slice(20, 90) === l.slice(20, 90))) samples.push(l.slice(0, 400));
      return { warnings: bad.filter((l) => /\twarn\t/.test(l)).length, errors: bad.filter((l) => /\terror\t/.test(l)).length, samples };
    },
    async stop() {
      await prosody.destroy();
      if (groupsDir) rmSync(groupsDir, { recursive: true, force: true });
    },
  };
}
