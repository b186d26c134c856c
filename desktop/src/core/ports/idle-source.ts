// IdleSource port: how long the user has not touched keyboard or mouse (Electron's
// powerMonitor.getSystemIdleTime() later). The chat's auto-away reads it on a Clock timer; tests
// pass a value they set themselves.

export interface IdleSource {
  /** Seconds since the user's last input (0 when unknown: then auto-away never triggers). */
  idleSeconds(): number;
}
