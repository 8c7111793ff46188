/**
 * The local model's "brain": turns the user's recognized words into a reply.
 * - `RuleResponder`: a built-in rule-based assistant (greetings, time, date, arithmetic, repeat,
 *   help, goodbye), always available offline.
 * - `ChatCompletionsResponder`: any OpenAI-compatible `POST {base}/chat/completions` endpoint
 *   (Ollama, llama.cpp server, vLLM, OpenAI…), falling back to the rules on error or timeout.
 */
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import type { HistoryMessage, ToolSpec } from '../model.js';
import { spokenToolResult, toolForPhrase } from './tool-phrases.js';

/** Tools a responder may call during one reply (through the call's tool registry). */
export interface ResponderTools {
  /** Tools offered for this call. */
  specs: readonly ToolSpec[];
  /**
   * Calls tool `name` with `args` and resolves with its result (or `{ error }` when it failed).
   * @throws Error when the reply is abandoned (barge-in, call end) before the result arrives.
   */
  call(name: string, args: Record<string, unknown>): Promise<unknown>;
}

/** Produces the assistant's reply text. */
export interface Responder {
  /** Name for logs. */
  readonly name: string;
  /**
   * @param history prior messages, oldest first (not including `userText`).
   * @param userText what the user just said.
   * @param signal aborted on barge-in or call end.
   * @param tools tools the responder may call for this reply (none when absent).
   */
  respond(history: readonly HistoryMessage[], userText: string, systemPrompt: string, signal: AbortSignal, tools?: ResponderTools): Promise<string>;
}

const NUMBER_WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90, hundred: 100,
};

function parseNumber(word: string): number | null {
  if (/^\d+(\.\d+)?$/.test(word)) return Number(word);
  return word in NUMBER_WORDS ? NUMBER_WORDS[word] : null;
}

const TIME_QUESTION = /\bwhat time\b|\bthe time\b/;
const DATE_QUESTION = /\b(what day|the date|today's date|what is the date)\b/;

/** Normalizes recognized words for matching: lower case, letters, digits, apostrophes. */
function normalize(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Built-in offline assistant. `now` is injectable for tests. Words matching a tool's offline
 * phrases (`TOOLS_FILE`) call that tool and speak its result. Time and date questions go to the
 * `get_current_time` tool when the call offers it (so tool calls show up like a cloud model's),
 * else to `now`.
 */
export class RuleResponder implements Responder {
  readonly name = 'rules';
  constructor(
    private readonly now: () => Date = () => new Date(),
    /** IANA time zone asked of `get_current_time` (default: the server's own). */
    private readonly timeZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone,
  ) {}

  async respond(history: readonly HistoryMessage[], userText: string, _systemPrompt?: string, _signal?: AbortSignal, tools?: ResponderTools): Promise<string> {
    const asked = tools && toolForPhrase(tools.specs, userText);
    if (asked) return spokenToolResult(asked.name, await tools.call(asked.name, asked.arguments));
    const a = this.answer(history, userText);
    if (typeof a === 'string') return a;
    if (tools?.specs.some((s) => s.name === 'get_current_time')) return this.fromTimeTool(a.asks, await tools.call('get_current_time', { timezone: this.timeZone }));
    return this.fromClock(a.asks);
  }

  /** The reply for `userText` (synchronous core of `respond`; times and dates from `now`). */
  reply(history: readonly HistoryMessage[], userText: string): string {
    const a = this.answer(history, userText);
    return typeof a === 'string' ? a : this.fromClock(a.asks);
  }

  private fromClock(asks: 'time' | 'date'): string {
    const d = this.now();
    if (asks === 'time') return `It is ${d.getHours() % 12 || 12}:${String(d.getMinutes()).padStart(2, '0')} ${d.getHours() < 12 ? 'AM' : 'PM'}.`;
    return `Today is ${d.toLocaleDateString('en-US', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' })}.`;
  }

  /** Speaks a `get_current_time` result (`{ iso, timezone }`, or `{ error }`). */
  private fromTimeTool(asks: 'time' | 'date', result: unknown): string {
    const r = (typeof result === 'object' && result !== null ? result : {}) as { iso?: unknown; timezone?: unknown };
    const d = typeof r.iso === 'string' ? new Date(r.iso) : null;
    if (!d || Number.isNaN(d.getTime())) return `Sorry, I could not look up the ${asks} just now.`;
    const timeZone = typeof r.timezone === 'string' ? r.timezone : 'UTC';
    try {
      return asks === 'time'
        ? `It is ${d.toLocaleTimeString('en-US', { timeZone, hour: 'numeric', minute: '2-digit' })}.`
        : `Today is ${d.toLocaleDateString('en-US', { timeZone, weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' })}.`;
    } catch {
      return `Sorry, I could not look up the ${asks} just now.`;
    }
  }

  /** The reply text, or which clock question the user asked. */
  private answer(history: readonly HistoryMessage[], userText: string): string | { asks: 'time' | 'date' } {
    const t = normalize(userText);
    if (!t) return 'Sorry, I did not catch that. Could you say it again?';
    const math = /(\w+) (plus|minus|times|multiplied by|divided by) (\w+)/.exec(t);
    if (math) {
      const a = parseNumber(math[1]);
      const b = parseNumber(math[3]);
      if (a !== null && b !== null) {
        const r = math[2] === 'plus' ? a + b : math[2] === 'minus' ? a - b : math[2] === 'divided by' ? (b === 0 ? NaN : a / b) : a * b;
        if (Number.isNaN(r)) return 'I cannot divide by zero.';
        return `${a} ${math[2]} ${b} is ${Math.round(r * 100) / 100}.`;
      }
    }
    const repeat = /^(?:please )?(?:say|repeat after me|repeat) (.+)$/.exec(t);
    if (repeat) return `${repeat[1]}.`;
    if (/\b(bye|goodbye|good bye|see you|hang up)\b/.test(t)) return 'Goodbye, and thank you for calling.';
    if (/\b(thank you|thanks)\b/.test(t)) return 'You are welcome. Is there anything else I can help with?';
    if (TIME_QUESTION.test(t)) return { asks: 'time' };
    if (DATE_QUESTION.test(t)) return { asks: 'date' };
    if (/\bweather\b/.test(t)) return 'I am running offline, so I cannot check the weather. Connect a language model or a weather tool for that.';
    if (/\b(your name|who are you|what are you)\b/.test(t)) return 'I am the voicebridge offline assistant.';
    if (/\b(help|what can you do)\b/.test(t)) return 'I can tell you the time and date, do simple arithmetic, and repeat what you say.';
    if (/^(hello|hi|hey|good (morning|afternoon|evening))\b/.test(t)) {
      return history.length === 0 ? 'Hello! How can I help you today?' : 'Hello again! What else can I do for you?';
    }
    return `You said: ${userText.trim()}. How can I help with that?`;
  }
}

/** Settings for `ChatCompletionsResponder`. */
export interface ChatCompletionsOptions {
  /** Base URL, e.g. `http://127.0.0.1:11434/v1` (`/chat/completions` is appended). */
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  logger: Logger;
  /** Used when the endpoint fails. */
  fallback: Responder;
  /** Injected fetch (defaults to the global). */
  fetchImpl?: typeof fetch;
}

/** OpenAI-compatible chat completions responder. */
export class ChatCompletionsResponder implements Responder {
  readonly name: string;
  /** Requests that failed and fell back to the rules. */
  failures = 0;

  constructor(private readonly options: ChatCompletionsOptions) {
    this.name = `chat-completions (${options.model} at ${options.baseUrl})`;
  }

  async respond(history: readonly HistoryMessage[], userText: string, systemPrompt: string, signal: AbortSignal, tools?: ResponderTools): Promise<string> {
    const { baseUrl, apiKey, model, timeoutMs, logger, fallback } = this.options;
    const doFetch = this.options.fetchImpl ?? fetch;
    const messages = [
      { role: 'system', content: `${systemPrompt} Your reply is spoken aloud: plain sentences, no lists or markup.` },
      ...history.map((m) => ({ role: m.role, content: m.text })),
      { role: 'user', content: userText },
    ];
    try {
      const res = await doFetch(`${baseUrl.replace(/\/$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify({ model, messages, max_tokens: 200, temperature: 0.7, stream: false }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const body = (await res.json()) as { choices?: Array<{ message?: { content?: string } }> };
      const text = body.choices?.[0]?.message?.content?.trim();
      if (!text) throw new Error('response has no choices[0].message.content');
      return text;
    } catch (err) {
      if (signal.aborted) throw err;
      this.failures++;
      logger.warn({ err: errorMessage(err) }, 'chat completions failed; using the built-in responder');
      return fallback.respond(history, userText, systemPrompt, signal, tools);
    }
  }
}
