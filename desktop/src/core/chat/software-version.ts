// XEP-0092 (Software Version): what the desktop answers when its server (the gateway's admin
// console, Sessions page) or a contact asks which client it runs. §2: <name/> and <version/> are
// required in a result, <os/> optional. §5 warns that the OS can help an attacker: we say the
// family only (Windows, macOS, Linux), never its release or build.
import { Element } from 'ltx';
import { NS } from './ns.ts';

export const SOFTWARE_NAME = 'Herald Desktop';

/** What the app says it is: its version (the About window's, Electron's app.getVersion()) and OS family. */
export interface SoftwareInfo {
  version: string;
  os?: string;
}

/** The OS family for a Node platform name; undefined for one we do not name. */
export function osFamily(platform: string): string | undefined {
  return ({ win32: 'Windows', darwin: 'macOS', linux: 'Linux', freebsd: 'FreeBSD', openbsd: 'OpenBSD' } as Record<string, string>)[platform];
}

/** The <query xmlns="jabber:iq:version"/> of the result (XEP-0092 §2, example 2). */
export function versionQuery(s: SoftwareInfo | undefined): Element {
  const q = new Element('query', { xmlns: NS.version });
  q.c('name').t(SOFTWARE_NAME);
  // A result without <version/> is not valid (§2): an unknown one says so rather than leaving it out.
  q.c('version').t(s?.version.trim() || 'unknown');
  if (s?.os) q.c('os').t(s.os);
  return q;
}
