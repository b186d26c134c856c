// electron-builder afterSign hook (electron-builder.yml): notarizes macOS builds with Apple's
// notary service when the standard variables are set, and says plainly what was skipped when
// they are not. Plain JavaScript: electron-builder loads it itself, without tsx.
// Signing is electron-builder's own, from the standard variables (https://www.electron.build/code-signing):
//   macOS:   CSC_LINK (a .p12 file, path or base64) + CSC_KEY_PASSWORD; notarization: APPLE_ID,
//            APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID (@electron/notarize, notarytool).
//   Windows: WIN_CSC_LINK + WIN_CSC_KEY_PASSWORD (or CSC_LINK + CSC_KEY_PASSWORD).
// Without them the build is unsigned — fine for trying, not for handing out (SmartScreen and
// Gatekeeper warn users).
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const NOTARIZE_VARS = ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'];

/**
 * What this build does about signing and notarization, from the environment alone.
 * @param {string} platform electron-builder's electronPlatformName: darwin, win32, linux, mas
 * @param {Record<string, string | undefined>} env
 * @returns {{ signed: boolean, notarize: boolean, warnings: string[] }}
 */
export function signingPlan(platform, env) {
  const has = (k) => typeof env[k] === 'string' && env[k] !== '';
  const warnings = [];
  if (platform === 'darwin' || platform === 'mas') {
    const signed = has('CSC_LINK') || has('CSC_NAME');
    if (!signed) warnings.push('macOS build NOT signed: set CSC_LINK and CSC_KEY_PASSWORD (a Developer ID Application certificate, .p12) to sign it');
    const missing = NOTARIZE_VARS.filter((k) => !has(k));
    if (signed && missing.length) warnings.push(`macOS build NOT notarized: ${missing.join(', ')} not set (Gatekeeper will warn users)`);
    return { signed, notarize: signed && missing.length === 0, warnings };
  }
  if (platform === 'win32') {
    const signed = has('WIN_CSC_LINK') || has('CSC_LINK');
    if (!signed) warnings.push('Windows build NOT signed: set WIN_CSC_LINK and WIN_CSC_KEY_PASSWORD (an Authenticode certificate, .p12/.pfx) to sign it (SmartScreen warns users of unsigned installers)');
    return { signed, notarize: false, warnings };
  }
  return { signed: false, notarize: false, warnings: [] }; // Linux packages are not code-signed
}

/** @param {{ electronPlatformName: string, appOutDir: string, packager: { appInfo: { productFilename: string, id?: string } } }} context */
export default async function afterSign(context) {
  const plan = signingPlan(context.electronPlatformName, process.env);
  for (const w of plan.warnings) console.warn(`  • herald: warning: ${w}`);
  if (!plan.notarize) return;
  // @electron/notarize comes with electron-builder in the desktop build toolchain's own package
  // (desktop/packaging/, scripts/packaging/toolchain.ts), not the root's node_modules.
  const toolchain = createRequire(path.resolve(import.meta.dirname, '../../desktop/packaging/package.json'));
  const { notarize } = await import(pathToFileURL(toolchain.resolve('@electron/notarize')).href);
  const appPath = `${context.appOutDir}/${context.packager.appInfo.productFilename}.app`;
  console.log(`  • herald: notarizing ${appPath} (APPLE_ID ${process.env.APPLE_ID}, team ${process.env.APPLE_TEAM_ID})`);
  await notarize({ appPath, appleId: process.env.APPLE_ID, appleIdPassword: process.env.APPLE_APP_SPECIFIC_PASSWORD, teamId: process.env.APPLE_TEAM_ID });
}
