/**
 * One plain-language line for a failed `listen` (port taken, address not on this machine, no
 * permission), naming the setting that fixes it.
 */

/**
 * Describes a listen failure of `host:port`, e.g. for EADDRINUSE: "cannot listen on
 * 0.0.0.0:8080: the port is already in use (EADDRINUSE) …".
 */
export function describeListenError(err: unknown, host: string, port: number): string {
  const code = (err as { code?: string } | null)?.code;
  const where = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${where}: the port is already in use by another process (EADDRINUSE); stop that process or choose another port with --port or PORT`;
    case 'EADDRNOTAVAIL':
      return `${where}: ${host} is not an address of this machine (EADDRNOTAVAIL); use one of its addresses, or 0.0.0.0 for all, with --host or HOST`;
    case 'EACCES':
    case 'EPERM':
      return `${where}: permission denied (${code}); ports below 1024 need extra privileges, choose a port of 1024 or more with --port or PORT`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name ${host} does not resolve (${code}); set --host or HOST to an address`;
    default:
      return `${where}: ${err instanceof Error ? err.message : String(err)}`;
  }
}
