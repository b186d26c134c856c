// The one-way dependency rules of ../shared/ARCHITECTURE.md are enforced by lint: prove that
// a wrong import is an error (and a right one is not), so the rule cannot silently rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function lint(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test('lint rejects imports against the layer order and lets allowed ones through', async () => {
  const bad: [string, string][] = [
    ['gateway/src/protocol/x.ts', "import { openDb } from '../store/db.ts';\nexport const y = openDb;\n"],
    ['gateway/src/protocol/x.ts', "import { readFileSync } from 'node:fs';\nexport const y = readFileSync;\n"],
    ['gateway/src/store/x.ts', "import { createDirectory } from '../directory/directory.ts';\nexport const y = createDirectory;\n"],
    ['gateway/src/directory/x.ts', "import { createMailService } from '../mail/mail-service.ts';\nexport const y = createMailService;\n"],
    ['gateway/src/mail/x.ts', "import { createHttpApp } from '../http/app.ts';\nexport const y = createHttpApp;\n"],
    ['gateway/src/http/x.ts', "import { startGateway } from '../main.ts';\nexport const y = startGateway;\n"],
    ['gateway/src/mail/x.ts', "import { app } from 'electron';\nexport const y = app;\n"],
    ['gateway/src/admin/x.ts', "import { createHttpApp } from '../http/app.ts';\nexport const y = createHttpApp;\n"],
    ['gateway/src/xmpp/x.ts', "import { createAdminUsers } from '../admin/users.ts';\nexport const y = createAdminUsers;\n"],
  ];
  for (const [file, code] of bad) {
    const messages = await lint(file, code);
    assert.ok(
      messages.some((m) => m.startsWith('import-x/no-restricted-paths') || m.startsWith('no-restricted-imports')),
      `${file}: ${code.split('\n')[0]} should be refused; got ${JSON.stringify(messages)}`,
    );
  }
  const good: [string, string][] = [
    ['gateway/src/mail/x.ts', "import { HeraldError } from '../protocol/errors.ts';\nimport { type Store } from '../store/index.ts';\nexport const y = HeraldError;\nexport type Z = Store;\n"],
    ['gateway/src/http/x.ts', "import { createMailService } from '../mail/mail-service.ts';\nexport const y = createMailService;\n"],
    ['gateway/src/http/x.ts', "import { createAdminUsers } from '../admin/users.ts';\nexport const y = createAdminUsers;\n"],
  ];
  for (const [file, code] of good) assert.deepEqual(await lint(file, code), [], file);
});
