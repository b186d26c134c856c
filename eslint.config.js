// Lint, and the architecture's one-way dependency rules (../shared/ARCHITECTURE.md) as errors:
// a wrong import fails CI instead of review.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const G = './gateway/src';
// gateway: protocol ← config ← store ← directory ← {mail, xmpp, im, provisioning} ← http ← main.ts/cli
const services = ['mail', 'xmpp', 'im', 'provisioning'];
const top = [`${G}/http`, `${G}/cli`, `${G}/main.ts`, `${G}/cli.ts`];
const layer = (name, forbidden, message) => ({ target: `${G}/${name}`, from: forbidden, message });
const zones = [
  layer('protocol', [`${G}/config`, `${G}/store`, `${G}/directory`, ...services.map((s) => `${G}/${s}`), ...top], 'protocol is the bottom layer: pure types and schemas'),
  layer('config', [`${G}/store`, `${G}/directory`, ...services.map((s) => `${G}/${s}`), ...top], 'config may import only protocol'),
  layer('store', [`${G}/directory`, ...services.map((s) => `${G}/${s}`), ...top], 'store may import only protocol and config'),
  layer('directory', [...services.map((s) => `${G}/${s}`), ...top], 'directory may not import the services above it'),
  ...services.map((s) => layer(s, [...services.filter((o) => o !== s).map((o) => `${G}/${o}`), ...top], `${s} must not import other services (main.ts wires them) or http`)),
  layer('http', [`${G}/cli`, `${G}/main.ts`, `${G}/cli.ts`], 'http must not import the composition root'),
  // admin/: the use cases the CLI and the admin HTTP API share — above the services, below http and cli.
  layer('admin', [`${G}/http`, `${G}/cli`, `${G}/main.ts`, `${G}/cli.ts`], 'admin is called by http and cli, never the other way'),
  ...['protocol', 'config', 'store', 'directory', ...services].map((n) => layer(n, [`${G}/admin`], `${n} sits below admin/: it must not import the admin use cases`)),
  // desktop: core imports only gateway/src/protocol and desktop/src/shared; main/preload/renderer never import each other.
  { target: './desktop/src/core', from: [`${G}/config`, `${G}/store`, `${G}/directory`, ...services.map((s) => `${G}/${s}`), ...top, './desktop/src/main', './desktop/src/preload', './desktop/src/renderer'], message: 'desktop core may import only gateway/src/protocol and desktop/src/shared' },
  { target: './desktop/src/shared', from: ['./desktop/src/core', './desktop/src/main', './desktop/src/preload', './desktop/src/renderer', './gateway'], message: 'desktop shared is the pure IPC contract: it imports nothing of ours' },
  { target: './desktop/src/main', from: ['./desktop/src/preload', './desktop/src/renderer', './desktop/preview', './gateway'], message: 'main imports only core and shared' },
  { target: './desktop/src/preload', from: ['./desktop/src/main', './desktop/src/renderer', './desktop/preview', './gateway'], message: 'preload imports only core and shared' },
  { target: './desktop/src/renderer', from: ['./desktop/src/main', './desktop/src/preload', './desktop/src/core', './desktop/preview', './gateway'], message: 'the renderer talks only to window.herald (shared types)' },
  // The browser preview (desktop/preview) is a dev tool that stands in for Electron: its server may
  // use main's plain modules and the core; the half that runs in the page only the preload's API builder.
  { target: './desktop/preview/client', from: ['./desktop/src/main', './desktop/src/core', './desktop/src/renderer', './gateway'], message: 'the preview page script builds window.herald from the preload module and the shared contract only' },
  { target: './gateway', from: ['./desktop', './test'], message: 'the gateway never imports desktop or test code' },
];

const noElectron = { name: 'electron', message: 'electron is imported only in desktop/src/main and desktop/src/preload' };
const testSupport = { group: ['**/test-support/**'], message: 'desktop/test-support fakes are for tests only' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'desktop/dist/**', '.build/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js', '.mjs'] } } },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'electron is imported only in desktop/src/main and desktop/src/preload' }] }],
    },
  },
  {
    files: ['gateway/src/protocol/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'protocol is shared with the desktop renderer: no Node modules' }], paths: [{ name: 'electron', message: 'no electron here' }] }] },
  },
  { files: ['desktop/src/main/**', 'desktop/src/preload/**'], rules: { 'no-restricted-imports': 'off' } },
  {
    // The IPC contract runs in the sandboxed renderer too: no Node modules.
    files: ['desktop/src/shared/**'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'desktop/src/shared is pure: no Node modules' }, testSupport], paths: [noElectron] }] },
  },
  // Fakes (fake clock, in-memory ports) are for tests only, never for production code.
  { files: ['desktop/src/core/**', 'desktop/src/renderer/**'], ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [testSupport], paths: [noElectron] }] } },
  { files: ['desktop/src/main/**', 'desktop/src/preload/**'], ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [testSupport] }] } },
  { files: ['**/*.test.ts', 'test/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
);
