/**
 * Built-in tools, selected by name with the `TOOLS` setting.
 */
import type { Tool } from './registry.js';

/** `get_current_time`: the server's current date and time, optionally in an IANA time zone. */
export function currentTimeTool(now: () => Date = () => new Date()): Tool {
  return {
    name: 'get_current_time',
    description: 'Returns the current date and time. Use it when the caller asks what time or what day it is.',
    inputSchema: { type: 'object', properties: { timezone: { type: 'string', description: 'IANA time zone, e.g. Europe/London; default UTC' } }, required: [] },
    async run(args) {
      const timeZone = typeof args.timezone === 'string' && args.timezone ? args.timezone : 'UTC';
      const d = now();
      let spoken: string;
      try {
        spoken = d.toLocaleString('en-US', { timeZone, weekday: 'long', hour: 'numeric', minute: '2-digit' });
      } catch {
        throw new Error(`unknown time zone ${timeZone}`);
      }
      return { time: spoken, timezone: timeZone, iso: d.toISOString() };
    },
  };
}

/** Every built-in tool by name. */
export const BUILTIN_TOOLS: Record<string, () => Tool> = {
  get_current_time: () => currentTimeTool(),
};

/**
 * Tools for a comma-separated list of names, from the built-in ones plus `more` (tools the
 * composition root builds with what they need, e.g. `end_call` with the live calls).
 * @throws Error naming unknown tools.
 */
export function builtinTools(list: string, more: Record<string, () => Tool> = {}): Tool[] {
  const known: Record<string, () => Tool> = { ...BUILTIN_TOOLS, ...more };
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(n in known));
  if (unknown.length) throw new Error(`unknown tools in TOOLS: ${unknown.join(', ')} (known: ${Object.keys(known).join(', ')})`);
  return names.map((n) => known[n]());
}
