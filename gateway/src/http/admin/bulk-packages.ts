// Bulk packages from the console: a server-side job that stamps one build for every user of a
// domain (a fresh one-time sign-in each, like `herald-gateway package --domain`) into one zip —
// <address>/<build> per user plus manifest.csv — under <data>/packages/, with progress the page
// polls (GET …/packages/bulk/:id). One job at a time; the finished zip is downloaded by id and
// kept until the next job or a restart. Audited (the packages carry sign-in tokens).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Actor, AuditLog } from '../../admin/audit.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { Provisioning } from '../../provisioning/provisioning.ts';
import type { Store } from '../../store/index.ts';
import { createZipWriter } from '../../provisioning/zip-writer.ts';
import { csvRecord } from './csv.ts';

export interface BulkJob {
  id: string;
  domain: string;
  build: string;
  total: number;
  done: number;
  state: 'running' | 'done' | 'failed';
  error?: string;
  file?: string;
}

export function createBulkPackages(d: { dataDir: string; provisioning: Provisioning; store: Store; audit: AuditLog }) {
  const dir = path.join(d.dataDir, 'packages');
  let job: BulkJob | undefined;

  async function run(j: BulkJob, buildPath: string, users: string[]): Promise<void> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `bulk-${j.id}.zip`);
    const zip = createZipWriter(file);
    let manifest = csvRecord(['user', 'file', 'token_expires']);
    try {
      for (const address of users) {
        const { pkg, issued } = await d.provisioning.package(buildPath, address);
        await zip.add(`${address}/${j.build}`, pkg.stream());
        manifest += csvRecord([address, `${address}/${j.build}`, issued.expiresAt.toISOString()]);
        j.done++;
      }
      await zip.add('manifest.csv', Buffer.from(manifest));
      await zip.close();
      j.file = file;
      j.state = 'done';
    } catch (e) {
      zip.abort();
      rmSync(file, { force: true });
      j.state = 'failed';
      j.error = (e as Error).message;
    }
  }

  return {
    start(actor: Actor, domain: string, build: string): BulkJob {
      if (job?.state === 'running') throw new HeraldError('busy', 'a bulk job is running; wait for it to finish');
      const name = domain.toLowerCase();
      if (!d.store.domains.get(name)) throw new HeraldError('not_found', `no domain ${name}`);
      const b = d.provisioning.builds().find((x) => x.name === build && x.stampable);
      if (!b) throw new HeraldError('not_found', `no zip or tar.gz build ${build}`);
      const users = d.store.accounts.list(name).map((u) => u.address);
      if (!users.length) throw new HeraldError('not_found', `${name} has no users`);
      if (job?.file) rmSync(job.file, { force: true });
      job = { id: randomBytes(9).toString('base64url'), domain: name, build: b.name, total: users.length, done: 0, state: 'running' };
      d.audit.record(actor, 'package.bulk', name, { build: b.name, users: users.length });
      void run(job, b.path, users);
      return { ...job };
    },
    get(id: string): BulkJob {
      if (!job || job.id !== id) throw new HeraldError('not_found', 'no such job (a restart or a newer job ended it)');
      return { ...job };
    },
    current: (): BulkJob | undefined => (job ? { ...job } : undefined),
  };
}
export type BulkPackages = ReturnType<typeof createBulkPackages>;
