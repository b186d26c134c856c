// herald:// links reach the app as a command-line argument (Windows, Linux: a second instance's
// argv, forwarded by the single-instance lock) or as macOS's open-url event.
export const DEEP_LINK_SCHEME = 'herald';

/** The first herald:// argument, if any (at most 16 KiB: provisioning links carry a JWS). */
export function findDeepLink(argv: readonly string[]): string | undefined {
  return argv.find((a) => a.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}://`) && a.length <= 16 * 1024);
}
