// `herald-gateway ejabberd config [--out FILE]` and `ejabberd roster [--print]`: Herald's settings
// and directory, written for an ejabberd cluster (ejabberd-config.ts, ejabberd-roster.ts).
import { writeFileSync } from 'node:fs';
import type { Settings } from '../config/schema.ts';
import type { createServices } from '../main.ts';
import { UsageError, type Flags } from './admin-commands.ts';
import { extauthCommandOf, renderEjabberdConfig } from './ejabberd-config.ts';
import { archiveDbPath, createArchiveDb } from '../xmpp/external/ejabberd-archive.ts';
import { asEjabberdctl, rosterCommands, rosterSourceOf, syncRoster } from '../xmpp/external/ejabberd-roster.ts';

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
    const yaml = renderEjabberdConfig({
      domains: s.store.domains.list().map((d) => d.name),
      xmpp: settings.xmpp,
      extauthCommand: settings.xmpp.external.extauthCommand ?? extauthCommandOf({ node: process.execPath, bin: io.bin, dataDir: settings.dataDir, configFile: io.configFile }),
      ...(archiveDb && { archiveDb }),
    });
    // Made here in WAL mode before ejabberd first opens it (ejabberd-archive.ts says why).
    if (archiveDb && createArchiveDb(archiveDb)) io.err(`created the ejabberd archive database ${archiveDb} (WAL): ejabberd's user needs to write it and its folder, the gateway's to read them`);
    if (typeof flags.out === 'string') {
      writeFileSync(flags.out, yaml, { mode: 0o644 });
      io.err(`wrote ${flags.out}: then, on every node, ejabberdctl reload_config (or restart ejabberd), and herald-gateway ejabberd roster`);
    } else io.out(yaml.trimEnd());
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
    const r = await syncRoster(`http://${host}:${x.apiPort}/api`, src);
    io.out(`shared roster in step: ${r.groupsWritten} group(s) written, ${r.membersAdded} member(s) added, ${r.membersRemoved} removed, ${r.groupsDeleted} link group(s) deleted`);
    return;
  }
  throw new UsageError(`unknown command "ejabberd ${action ?? ''}"`);
}
