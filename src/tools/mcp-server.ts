/**
 * One MCP server of `TOOLS_FILE`: its session, the tools it listed at start-up (offered to every
 * model as `<server>__<tool>`), and its restarts. When the server dies (a stdio process exits, an
 * HTTP server stops answering) its tools are unavailable — calls to them fail at once — and it is
 * started again after a backoff (`backoff.ts`) on the injected clock, until it answers.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { restartDelayMs, type BackoffPlan } from './backoff.js';
import { mapMcpResult, type McpCallResult } from './mcp-result.js';
import { mcpToolName } from './names.js';
import type { Tool } from './registry.js';
import type { OfflineTrigger } from './tools-file.js';
import { offlineOf } from './offline.js';

/** A tool as an MCP server lists it (`tools/list`). */
export interface McpListedTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/** A connected MCP client session (the SDK's `Client`, adapted in `mcp-connect.ts`; fakes in tests). */
export interface McpSession {
  /** Every tool the server offers (all pages). */
  listTools(): Promise<McpListedTool[]>;
  /**
   * Calls tool `name`.
   * @throws Error on a transport failure (`isTransportFailure` tells) or a protocol error.
   */
  callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<McpCallResult>;
  /** Whether `err` thrown by `callTool` means the connection is gone. */
  isTransportFailure(err: unknown): boolean;
  /** Called once when the connection ends for any reason other than `close()`. */
  onLost(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

/** Where a server is. */
export type McpServerState = 'starting' | 'ready' | 'restarting' | 'closed';

/** Settings of one server. */
export interface McpServerOptions {
  /** Server name from the tools file (the namespace of its tools). */
  name: string;
  /** Opens a new session (start-up and every restart). */
  connect: () => Promise<McpSession>;
  restart: BackoffPlan;
  /** Per-call timeout of its tools, ms (undefined: `TOOL_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** Offline phrases by the server's tool name. */
  offline: Record<string, OfflineTrigger>;
  clock: Clock;
  logger: Logger;
}

/** Status for `/stats` and logs. */
export interface McpServerStatus {
  state: McpServerState;
  tools: number;
  restarts: number;
  lastError?: string;
}

/** One MCP server and its tools. */
export class McpServerConnection {
  private session: McpSession | undefined;
  private state: McpServerState = 'starting';
  private listed: McpListedTool[] = [];
  private offered = new Set<string>();
  private attempt = 0;
  private timer: TimerHandle | undefined;
  private restarts = 0;
  private lastError: string | undefined;

  constructor(private readonly options: McpServerOptions) {}

  /**
   * Connects and lists the server's tools.
   * @throws Error naming the server when it cannot be started or listed.
   */
  async start(): Promise<void> {
    try {
      const { session, tools } = await this.open();
      this.session = session;
      this.listed = tools;
      this.offered = new Set(tools.map((t) => t.name));
      this.state = 'ready';
      this.options.logger.info({ mcpServer: this.options.name, tools: tools.map((t) => t.name) }, 'MCP server ready');
    } catch (err) {
      this.state = 'closed';
      throw new Error(`MCP server ${this.options.name} did not start: ${errorMessage(err)}`);
    }
  }

  /** The tools listed at start-up, as model tools. */
  tools(): Tool[] {
    const { name: server, timeoutMs, offline } = this.options;
    return this.listed.map((t) => ({
      name: mcpToolName(server, t.name),
      description: t.description ?? `${t.name} (MCP server ${server})`,
      inputSchema: t.inputSchema,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...offlineOf(offline[t.name]),
      run: (args, ctx) => this.call(t.name, args, ctx.signal),
    }));
  }

  /** Current status. */
  status(): McpServerStatus {
    return { state: this.state, tools: this.listed.length, restarts: this.restarts, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Stops restarting and closes the session. */
  async close(): Promise<void> {
    this.state = 'closed';
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.session;
    this.session = undefined;
    await s?.close().catch(() => {});
  }

  /**
   * Calls the server's tool `tool`.
   * @throws Error when the server is restarting, the tool is no longer offered, the result has
   *   `isError`, or the transport fails (which also starts a restart).
   */
  private async call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const session = this.session;
    if (this.state !== 'ready' || !session) throw new Error(`MCP server ${this.options.name} is unavailable (${this.state}); try again shortly`);
    if (!this.offered.has(tool)) throw new Error(`MCP server ${this.options.name} no longer offers ${tool}`);
    let result: McpCallResult;
    try {
      result = await session.callTool(tool, args, signal);
    } catch (err) {
      if (!signal.aborted && session.isTransportFailure(err)) this.lost(session, errorMessage(err));
      throw err;
    }
    const mapped = mapMcpResult(result);
    if (!mapped.ok) throw new Error(mapped.error);
    return mapped.value;
  }

  private async open(): Promise<{ session: McpSession; tools: McpListedTool[] }> {
    const session = await this.options.connect();
    try {
      const tools = await session.listTools();
      session.onLost((reason) => this.lost(session, reason));
      return { session, tools };
    } catch (err) {
      await session.close().catch(() => {});
      throw err;
    }
  }

  /** Session `session` died: its tools become unavailable and a restart is planned. */
  private lost(session: McpSession, reason: string): void {
    if (this.session !== session || this.state !== 'ready') return;
    this.session = undefined;
    this.state = 'restarting';
    this.lastError = reason;
    this.options.logger.warn({ mcpServer: this.options.name, reason }, 'MCP server lost: its tools are unavailable until it restarts');
    void session.close().catch(() => {});
    this.attempt = 0;
    this.planRestart();
  }

  private planRestart(): void {
    this.attempt++;
    const delayMs = restartDelayMs(this.options.restart, this.attempt);
    this.timer = this.options.clock.setTimeout(() => void this.tryRestart(), delayMs);
  }

  private async tryRestart(): Promise<void> {
    this.timer = undefined;
    if (this.state !== 'restarting') return;
    try {
      const { session, tools } = await this.open();
      if (this.state !== 'restarting') return void (await session.close().catch(() => {}));
      this.session = session;
      this.offered = new Set(tools.map((t) => t.name));
      this.state = 'ready';
      this.restarts++;
      this.options.logger.info({ mcpServer: this.options.name, attempt: this.attempt }, 'MCP server restarted');
    } catch (err) {
      if (this.state !== 'restarting') return;
      this.lastError = errorMessage(err);
      this.options.logger.warn({ mcpServer: this.options.name, attempt: this.attempt, err: this.lastError }, 'MCP server restart failed');
      this.planRestart();
    }
  }
}
