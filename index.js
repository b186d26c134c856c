// `npm run desktop` (Electron on this checkout, `electron .`): Electron starts the app folder's
// index.js when package.json names no "main". package.json names none on purpose: npm always packs
// the "main" file, and the gateway's package (`npm pack`, README "Installing the gateway") must not
// carry the desktop bundle. Packaged apps get their own package.json with "main" (scripts/packaging/dist.ts).
import './desktop/dist/main.mjs';
