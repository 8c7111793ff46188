/**
 * The tools of `TOOLS_FILE`: its HTTP tools and the tools its MCP servers list at start-up. Read,
 * validated and connected once at start-up; closed with the server.
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { httpTool } from './http-tool.js';
import { connectMcpServer } from './mcp-connect.js';
import { McpServerConnection, type McpServerStatus, type McpSession } from './mcp-server.js';
import type { Tool } from './registry.js';
import { isStdioServer, parseToolsFile, resolveHeaders, type McpServerSpec, type ToolsFile } from './tools-file.js';

/** The loaded user tools. */
export interface UserTools {
  tools: Tool[];
  /** Each MCP server's status by name. */
  status(): Record<string, McpServerStatus>;
  /** Closes the MCP sessions (stdio servers exit) and stops restarts. */
  close(): Promise<void>;
}

/** What `loadUserTools` needs. */
export interface UserToolsDeps {
  clock: Clock;
  logger: Logger;
  /** Environment for header values (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Fetch for HTTP tools (default the global one). */
  fetchImpl?: typeof fetch;
  /** Opens an MCP session (default: the SDK, `connectMcpServer`). */
  connect?: (name: string, spec: McpServerSpec, headers: Record<string, string>) => Promise<McpSession>;
}

/**
 * Reads `path` and builds its tools.
 * @throws Error naming the file and field for a bad file, an unset header variable, an MCP server
 *   that does not start, or two tools with one name.
 */
export async function loadUserTools(path: string, deps: UserToolsDeps): Promise<UserTools> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`TOOLS_FILE ${path} cannot be read: ${(err as Error).message}`);
  }
  return buildUserTools(parseToolsFile(text, `TOOLS_FILE ${path}`), deps);
}

/** Builds the tools of a parsed file (see `loadUserTools`). */
export async function buildUserTools(file: ToolsFile, deps: UserToolsDeps): Promise<UserTools> {
  const env = deps.env ?? process.env;
  const tools: Tool[] = file.tools.map((spec, i) => httpTool(spec, resolveHeaders(spec.headers, env, `tools[${i}]`), deps.fetchImpl));
  const servers = new Map<string, McpServerConnection>();
  const connect = deps.connect ?? ((name, spec, headers) => connectMcpServer(name, spec, headers, deps.logger));
  const started = await Promise.allSettled(
    Object.entries(file.mcpServers).map(async ([name, spec]) => {
      const headers = isStdioServer(spec) ? {} : resolveHeaders(spec.headers, env, `mcpServers.${name}`);
      const server = new McpServerConnection({ name, connect: () => connect(name, spec, headers), restart: spec.restart, timeoutMs: spec.timeoutMs, offline: spec.offline, clock: deps.clock, logger: deps.logger });
      servers.set(name, server);
      await server.start();
    }),
  );
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // Every start has settled: nothing opens after this.
    await Promise.all([...servers.values()].map((s) => s.close()));
    throw failed.reason;
  }
  for (const s of servers.values()) tools.push(...s.tools());
  return {
    tools,
    status: () => Object.fromEntries([...servers].map(([name, s]) => [name, s.status()])),
    close: async () => void (await Promise.all([...servers.values()].map((s) => s.close()))),
  };
}
