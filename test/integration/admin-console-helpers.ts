// What the admin console's browser tests share: reading the audit log files, and signing in
// through the console's own form (the status of its POST).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { parseAuditLine, type AuditEntry } from '../../gateway/src/admin/audit.ts';

/** Every audit entry the gateway wrote under `dataDir`, oldest day first. */
export const auditEntries = (dataDir: string): AuditEntry[] =>
  readdirSync(path.join(dataDir, 'logs'))
    .filter((f) => f.startsWith('Audit-'))
    .sort()
    .flatMap((f) => readFileSync(path.join(dataDir, 'logs', f), 'utf8').trim().split('\n'))
    .map((l) => parseAuditLine(l)!)
    .filter(Boolean);

/** Fills and sends the console's sign-in form; the status the POST got. */
export async function signInForm(page: Page, gatewayUrl: string, address: string, password: string, code?: string): Promise<number> {
  await page.goto(`${gatewayUrl}/admin/login`);
  await page.fill('#address', address);
  await page.fill('#password', password);
  if (code !== undefined) await page.fill('#code', code);
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/login') && r.request().method() === 'POST'), page.click('button[type="submit"]')]);
  await page.waitForLoadState();
  return res.status();
}
