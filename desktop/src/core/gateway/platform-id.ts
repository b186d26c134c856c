// The platform this desktop runs on, as the gateway names platforms (provisioning/build-catalog.ts
// PlatformId: win-x64, mac-arm64, linux-x64…). Sent at enrollment and sign-in (`platform`), so the
// admin's `token list` and the console's devices say what each device is — the gateway otherwise
// guesses from a User-Agent, which Node's fetch does not give.
export function platformId(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const os = platform === 'win32' ? 'win' : platform === 'darwin' ? 'mac' : platform === 'linux' ? 'linux' : undefined;
  if (!os) return undefined;
  const a = arch === 'x64' ? 'x64' : arch === 'arm64' ? 'arm64' : undefined;
  return a ? `${os}-${a}` : os;
}
