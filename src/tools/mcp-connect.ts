/**
 * Opens an MCP client session with `@modelcontextprotocol/sdk`: `StdioClientTransport` for a
 * server run as a child process (`command`), `StreamableHTTPClientTransport` for a Streamable HTTP
 * `url` (MCP spec 2025-06-18, "Transports"). Adapts the SDK `Client` to `McpSession`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../core/logger.js';
import type { McpListedTool, McpSession } from './mcp-server.js';
import type { McpCallResult } from './mcp-result.js';
import { isStdioServer, type McpServerSpec } from './tools-file.js';

/** Longest wait for a server to start and answer `initialize` or `tools/list`, ms. */
export const MCP_CONNECT_TIMEOUT_MS = 15_000;
/** Request timeout handed to the SDK for tool calls; the tool registry's own timeout ends calls first, ms. */
const SDK_CALL_TIMEOUT_MS = 600_000;
/** Longest stderr line of a stdio server logged, characters. */
const MAX_STDERR_LINE_CHARS = 300;

/**
 * Connects to server `name` as `spec` declares it.
 * @param headers resolved headers for a Streamable HTTP server.
 * @throws Error when the process cannot start or the server does not answer `initialize`.
 */
export async function connectMcpServer(name: string, spec: McpServerSpec, headers: Record<string, string>, logger: Logger): Promise<McpSession> {
  let transport: Transport;
  if (isStdioServer(spec)) {
    const stdio = new StdioClientTransport({ command: spec.command, args: spec.args, env: { ...getDefaultEnvironment(), ...spec.env }, cwd: spec.cwd, stderr: 'pipe' });
    stdio.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logger.debug({ mcpServer: name }, line.slice(0, MAX_STDERR_LINE_CHARS));
    });
    transport = stdio;
  } else {
    transport = new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers, redirect: 'error' } });
  }
  const client = new Client({ name: 'voicebridge', version: '1' });
  const listeners: Array<(reason: string) => void> = [];
  let closing = false;
  let lostReason: string | undefined;
  client.onclose = () => {
    if (closing || lostReason !== undefined) return;
    lostReason = 'connection closed';
    for (const l of listeners) l(lostReason);
  };
  client.onerror = (err) => logger.debug({ mcpServer: name, err: err.message }, 'MCP transport error');
  await client.connect(transport, { timeout: MCP_CONNECT_TIMEOUT_MS });
  return {
    async listTools(): Promise<McpListedTool[]> {
      const tools: McpListedTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: MCP_CONNECT_TIMEOUT_MS });
        for (const t of page.tools) tools.push({ name: t.name, description: t.description, inputSchema: t.inputSchema as Record<string, unknown> });
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    },
    async callTool(tool, args, signal): Promise<McpCallResult> {
      return (await client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: SDK_CALL_TIMEOUT_MS })) as McpCallResult;
    },
    isTransportFailure(err) {
      // Protocol errors (unknown tool, invalid params) leave the session usable; anything else
      // (a closed connection, a refused or failed fetch) means the server is gone.
      return !(err instanceof McpError) || err.code === ErrorCode.ConnectionClosed;
    },
    onLost(listener) {
      if (lostReason !== undefined) listener(lostReason);
      else listeners.push(listener);
    },
    async close() {
      closing = true;
      await client.close();
    },
  };
}
