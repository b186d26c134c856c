// Browser port: opens a URL in the user's browser (shell.openExternal later). The core only ever
// passes URLs that core/webmail/webmail-url.ts allowed: http(s) under the webmail origin.

export interface Browser {
  open(url: string): Promise<void>;
}
