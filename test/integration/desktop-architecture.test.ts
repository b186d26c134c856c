// The desktop's layering (../shared/ARCHITECTURE.md) is enforced by lint: core imports only the
// gateway's protocol and desktop/src/shared; shared is pure (no Node, nothing of ours); electron
// only in main/preload; test fakes never in production code. Prove each rule refuses and allows.
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
const refused = (m: string[]) => m.some((x) => x.startsWith('import-x/no-restricted-paths') || x.startsWith('no-restricted-imports'));

test('desktop imports against the layers are lint errors; allowed ones pass', async () => {
  const bad: [string, string][] = [
    ['desktop/src/core/x.ts', "import { createStore } from '../../../gateway/src/store/index.ts';\nexport const y = createStore;\n"],
    ['desktop/src/core/x.ts', "import { createMailService } from '../../../gateway/src/mail/mail-service.ts';\nexport const y = createMailService;\n"],
    ['desktop/src/core/x.ts', "import { app } from 'electron';\nexport const y = app;\n"],
    ['desktop/src/core/x.ts', "import { FakeClock } from '../../test-support/fake-clock.ts';\nexport const y = FakeClock;\n"],
    ['desktop/src/shared/x.ts', "import { readFileSync } from 'node:fs';\nexport const y = readFileSync;\n"],
    ['desktop/src/shared/x.ts', "import { createHeraldCore } from '../core/herald-core.ts';\nexport const y = createHeraldCore;\n"],
    ['desktop/src/shared/x.ts', "import { API_PREFIX } from '../../../gateway/src/protocol/api.ts';\nexport const y = API_PREFIX;\n"],
    ['desktop/src/renderer/x.ts', "import { createHeraldCore } from '../core/herald-core.ts';\nexport const y = createHeraldCore;\n"],
    ['desktop/src/main/x.ts', "import { FakeClock } from '../../test-support/fake-clock.ts';\nexport const y = FakeClock;\n"],
  ];
  for (const [file, code] of bad) assert.ok(refused(await lint(file, code)), `${file}: ${code.split('\n')[0]} should be refused`);
  const good: [string, string][] = [
    ['desktop/src/core/x.ts', "import { API_PREFIX } from '../../../gateway/src/protocol/api.ts';\nimport { INVOKE } from '../shared/ipc.ts';\nimport { readFileSync } from 'node:fs';\nexport const y = [API_PREFIX, INVOKE, readFileSync];\n"],
    ['desktop/src/core/x.test.ts', "import { FakeClock } from '../../test-support/fake-clock.ts';\nexport const y = FakeClock;\n"],
    ['desktop/src/shared/x.ts', "import { z } from 'zod';\nexport const y = z.string();\n"],
    ['desktop/src/main/x.ts', "import { app } from 'electron';\nimport { createHeraldCore } from '../core/herald-core.ts';\nexport const y = [app, createHeraldCore];\n"],
  ];
  for (const [file, code] of good) assert.deepEqual(await lint(file, code), [], file);
});
