// The SEM spool as the console's Scripts page shows it (read from the folder itself, like
// `spool status`: im/spool/spool-status.ts) and what an admin does with a quarantined file:
// retry it (moved back into the spool folder, where the running spool's watcher picks it up and
// delivers it like any new file) or delete it. Both audited; the file's content is never logged.
import { existsSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { HeraldError } from '../protocol/errors.ts';
import { readBad, REASON_SUFFIX } from '../im/spool/quarantine.ts';
import { SEM_NAME } from '../im/spool/sem-file.ts';
import { spoolLayout, type SpoolLayout } from '../im/spool/spool-layout.ts';
import { readSpoolStatus, type SpoolStatus } from '../im/spool/spool-status.ts';
import type { Actor, AuditLog } from './audit.ts';

export interface BadSpoolFile {
  name: string;
  reason: string;
  at: number;
  size: number;
}

/** A name in bad/ as the console sends it: one plain file name, never a path or a reason file. */
function badName(name: string): string {
  if (!name || name !== path.basename(name) || name.startsWith('.') || name.endsWith(REASON_SUFFIX)) throw new HeraldError('bad_request', `not a file in bad/: ${name}`);
  return name;
}

/** IM-7~1.SEM (a second quarantined IM-7.SEM) goes back as IM-7.SEM, or a fresh IM-<n>.SEM when that name is taken. */
function retryName(layout: SpoolLayout, name: string): string {
  const digits = /^IM-(\d{1,30})/.exec(name)?.[1];
  const taken = (n: string) => existsSync(path.join(layout.root, n)) || existsSync(path.join(layout.root, `${n.slice(0, -4)}.LCK`));
  const first = digits ? `IM-${digits}.SEM` : undefined;
  if (first && SEM_NAME.test(first) && !taken(first)) return first;
  for (let n = Date.now(); ; n++) if (!taken(`IM-${n}.SEM`)) return `IM-${n}.SEM`;
}

export function createAdminSpool({ dir, audit }: { dir: string; audit: AuditLog }) {
  const layout = spoolLayout(dir);
  return {
    dir,
    status: (): SpoolStatus | undefined => (existsSync(layout.root) ? readSpoolStatus(layout) : undefined),
    /** Every quarantined file, newest first, with its reason. */
    bad(): BadSpoolFile[] {
      let count = 0;
      try {
        count = readdirSync(layout.bad).length;
      } catch {
        return [];
      }
      return readBad(layout.bad, count).recent.map((b) => {
        let size = 0;
        try {
          size = statSync(path.join(layout.bad, b.name)).size;
        } catch {
          // gone meanwhile
        }
        return { ...b, size };
      });
    },
    /** Moves a bad file back into the spool folder; returns the name it got there. */
    retry(actor: Actor, name: string): string {
      const file = path.join(layout.bad, badName(name));
      if (!existsSync(file)) throw new HeraldError('not_found', `${name} is not in bad/ (any more)`);
      const to = retryName(layout, name);
      renameSync(file, path.join(layout.root, to));
      try {
        unlinkSync(file + REASON_SUFFIX);
      } catch {
        // no reason file: nothing to remove
      }
      audit.record(actor, 'spool.retry', name, { as: to });
      return to;
    },
    remove(actor: Actor, name: string): void {
      const file = path.join(layout.bad, badName(name));
      if (!existsSync(file)) throw new HeraldError('not_found', `${name} is not in bad/ (any more)`);
      unlinkSync(file);
      try {
        unlinkSync(file + REASON_SUFFIX);
      } catch {
        // no reason file
      }
      audit.record(actor, 'spool.delete', name);
    },
  };
}
export type AdminSpool = ReturnType<typeof createAdminSpool>;
