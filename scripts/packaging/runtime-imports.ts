// What a built bundle loads at run time: every import declaration, `export … from`, import() and
// require() call whose specifier is a bare package name — found on the syntax tree (acorn, the
// parser ESLint's espree is built on), so words in strings, comments and templates
// (`"invalid-from"`, `(subscription === "from") ? "`) are never taken for imports, as a regex did.
// Any call `require("x")` counts, also of a local `require` (desktop/tools/build-desktop.ts gives
// the ES-module bundle one, createRequire, for the CommonJS packages inside it), and of
// `__require`, esbuild's shim through which a bundled CommonJS module requires an external one.
import { builtinModules } from 'node:module';
import { parse, type Node } from 'acorn';

/**
 * Optional native helpers of ws, required inside try/catch (ws/lib/buffer-util.js, validation.js)
 * and left external by build-desktop.ts: ws works without them, so the app may lack them.
 */
export const OPTIONAL_AT_RUN_TIME: readonly string[] = ['bufferutil', 'utf-8-validate'];

export interface RuntimeImport {
  /** The package (`@scope/name` or `name`). */
  pkg: string;
  specifier: string;
  kind: 'import' | 'export-from' | 'dynamic-import' | 'require';
}

const builtin = new Set(builtinModules);
const packageOf = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);
const isRuntimeProvided = (s: string) => s === 'electron' || s.startsWith('electron/') || s.startsWith('node:') || builtin.has(s) || builtin.has(s.split('/')[0]!);

const REQUIRE_NAMES = new Set(['require', '__require']);

type AnyNode = Node & Record<string, unknown>;
const isNode = (v: unknown): v is AnyNode => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
const literal = (n: unknown): string | undefined => (isNode(n) && n.type === 'Literal' && typeof n.value === 'string' ? n.value : isNode(n) && n.type === 'TemplateLiteral' && (n.expressions as unknown[]).length === 0 ? ((n.quasis as { value: { cooked: string } }[])[0]?.value.cooked) : undefined);

/** Every import of a package the bundle makes (Node's own modules and electron are provided at run time). Throws on code that does not parse. */
export function runtimeImportsOf(code: string, sourceType: 'module' | 'script' = 'module'): RuntimeImport[] {
  const found: RuntimeImport[] = [];
  const add = (spec: string | undefined, kind: RuntimeImport['kind']) => {
    if (spec === undefined || spec.startsWith('.') || spec.startsWith('/') || isRuntimeProvided(spec)) return;
    found.push({ pkg: packageOf(spec), specifier: spec, kind });
  };
  const ast = parse(code, { ecmaVersion: 'latest', sourceType, allowHashBang: true, allowReturnOutsideFunction: sourceType === 'script' });
  // An explicit stack, not recursion: a 1 MB bundle nests deeply.
  const stack: unknown[] = [ast];
  while (stack.length) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (const x of n) stack.push(x);
      continue;
    }
    if (!isNode(n)) continue;
    if (n.type === 'ImportDeclaration') add(literal(n.source), 'import');
    else if ((n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration') && n.source) add(literal(n.source), 'export-from');
    else if (n.type === 'ImportExpression') add(literal(n.source), 'dynamic-import');
    else if (n.type === 'CallExpression' && isNode(n.callee) && n.callee.type === 'Identifier' && REQUIRE_NAMES.has(n.callee.name as string)) add(literal((n.arguments as unknown[])[0]), 'require');
    for (const [k, v] of Object.entries(n)) if (k !== 'type' && typeof v === 'object' && v !== null) stack.push(v);
  }
  return found;
}

/** The packages a bundle needs from node_modules, sorted, without OPTIONAL_AT_RUN_TIME. */
export function runtimePackages(code: string, sourceType: 'module' | 'script' = 'module'): string[] {
  const pkgs = new Set(runtimeImportsOf(code, sourceType).map((i) => i.pkg).filter((p) => !OPTIONAL_AT_RUN_TIME.includes(p)));
  return [...pkgs].sort();
}
