// `herald-gateway ejabberd config [--out FILE]` and `ejabberd roster [--print]`: Herald's settings
// and directory, written for an ejabberd cluster (ejabberd-config.ts, ejabberd-roster.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import type { createServices } from '../main.ts';
import { UsageError, type Flags } from './admin-commands.ts';
import { extauthCommandOf, renderEjabberdConfig } from './ejabberd-config.ts';
import { compilePolicyModule, POLICY_MODULE } from './ejabberd-policy-module.ts';
import { archiveDbPath, createArchiveDb } from '../xmpp/external/ejabberd-archive.ts';
import { createPgArchiveSchema, pgUrlParts, redactUrl } from '../xmpp/external/pg-archive.ts';
import { HeraldError } from '../protocol/errors.ts';
import { asEjabberdctl, rosterCommands, rosterSourceOf, syncRoster } from '../xmpp/external/ejabberd-roster.ts';
import { externalSql, srgTablesOf } from '../xmpp/external/srg-tables.ts';

type Services = Pick<ReturnType<typeof createServices>, 'store'>;

export async function runEjabberdCommand(
  settings: Settings,
  s: Services,
  args: string[],
  flags: Flags,
  io: { out: (line: string) => void; err: (line: string) => void; configFile?: string; bin: string },
): Promise<void> {
  const [action] = args;
  if (action === 'config') {
    const archiveDb = settings.xmpp.external.archiveDb && archiveDbPath(settings.xmpp.external.archiveDb, settings.dataDir);
    const archiveUrl = settings.xmpp.external.archiveUrl;
    if (archiveUrl) {
      // ejabberd 23.01 does not make its SQL tables: mod_mam's are made here (pg-archive.ts).
      try {
        await createPgArchiveSchema(archiveUrl);
      } catch (e) {
        throw new HeraldError('internal', `cannot make the archive tables on ${redactUrl(archiveUrl)}: ${(e as Error).message}`);
      }
      io.err(`the ejabberd archive tables are in ${redactUrl(archiveUrl)}`);
    }
    const yaml = renderEjabberdConfig({
      domains: s.store.domains.list().map((d) => d.name),
      xmpp: settings.xmpp,
      extauthCommand: settings.xmpp.external.extauthCommand ?? extauthCommandOf({ node: process.execPath, bin: io.bin, dataDir: settings.dataDir, configFile: io.configFile }),
      ...(archiveDb && { archiveDb }),
      ...(archiveUrl && { archivePg: pgUrlParts(archiveUrl) }),
      uploadDir: archiveDbPath(settings.xmpp.external.uploadDir, settings.dataDir), // the same %data% expansion
    });
    // Made here in WAL mode before ejabberd first opens it (ejabberd-archive.ts says why).
    if (archiveDb && createArchiveDb(archiveDb)) io.err(`created the ejabberd archive database ${archiveDb} (WAL): ejabberd's user and the gateway's need to write it and its folder`);
    // mod_shared_roster's tables in a file made before they were (srg-schema.ts).
    else if (archiveDb) {
      try {
        await (await srgTablesOf({ archiveDb }))?.close();
      } catch (e) {
        throw new HeraldError('internal', `cannot make the shared roster tables in ${archiveDb} (the gateway's user needs to write it and its folder): ${(e as Error).message}`);
      }
    }
    const domains = new Set(s.store.domains.list().map((d) => d.name.toLowerCase()));
    for (const d of Object.keys(settings.xmpp.e2ee.domains)) if (!domains.has(d)) io.err(`xmpp.e2ee.domains names ${d}, which is not one of Herald's domains: ignored`);
    if (typeof flags.out === 'string') {
      // With the archive's PostgreSQL password in it: not readable by every user.
      writeFileSync(flags.out, yaml, { mode: archiveUrl ? 0o640 : 0o644 });
      // The policy module the configuration loads (xmpp.e2ee): source and compiled, beside it.
      const m = compilePolicyModule({ dir: path.join(path.dirname(path.resolve(flags.out)), 'herald-ejabberd'), ...(typeof flags['ejabberd-lib'] === 'string' && { libDir: flags['ejabberd-lib'] }) });
      if ('notCompiled' in m) io.err(`wrote ${m.source} but did not compile it: ${m.notCompiled}. Compile it on a node: ${m.command}`);
      else io.err(`compiled ${POLICY_MODULE} (xmpp.e2ee) into ${m.ebin}: every node needs it on ejabberd's code path (ERL_OPTIONS="-pa ${m.ebin}" in ejabberdctl.cfg)`);
      io.err(`wrote ${flags.out}: then, on every node, ejabberdctl reload_config (or restart ejabberd), and herald-gateway ejabberd roster`);
    } else {
      io.out(yaml.trimEnd());
      io.err(`the configuration loads ${POLICY_MODULE} (xmpp.e2ee): use --out FILE to have it written and compiled beside the file`);
    }
    return;
  }
  if (action === 'roster') {
    const src = rosterSourceOf(s.store);
    if (flags.print) {
      for (const line of asEjabberdctl(rosterCommands(src))) io.out(line);
      return;
    }
    const x = settings.xmpp.external;
    const host = x.apiHost.includes(':') ? `[${x.apiHost}]` : x.apiHost;
    const tables = await srgTablesOf(externalSql(settings));
    const r = await syncRoster(`http://${host}:${x.apiPort}/api`, src, { tables }).finally(() => tables?.close());
    io.out(`shared roster in step: ${r.groupsWritten} group(s) written, ${r.membersAdded} member(s) added, ${r.membersRemoved} removed (${r.inBulk} of them written in bulk), ${r.groupsDeleted} link group(s) deleted`);
    return;
  }
  throw new UsageError(`unknown command "ejabberd ${action ?? ''}"`);
}
