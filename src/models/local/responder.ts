/**
 * The local model's "brain": turns the user's recognized words into a reply.
 * - `RuleResponder`: a built-in rule-based assistant (greetings, time, date, arithmetic, repeat,
 *   help, goodbye), always available offline.
 * - `ChatCompletionsResponder`: any OpenAI-compatible `POST {base}/chat/completions` endpoint
 *   (Ollama, llama.cpp server, vLLM, OpenAI…), falling back to the rules on error or timeout.
 */
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import type { HistoryMessage } from '../model.js';

/** Produces the assistant's reply text. */
export interface Responder {
  /** Name for logs. */
  readonly name: string;
  /**
   * @param history prior messages, oldest first (not including `userText`).
   * @param userText what the user just said.
   * @param signal aborted on barge-in or call end.
   */
  respond(history: readonly HistoryMessage[], userText: string, systemPrompt: string, signal: AbortSignal): Promise<string>;
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

/** Built-in offline assistant. `now` is injectable for tests. */
export class RuleResponder implements Responder {
  readonly name = 'rules';
  constructor(private readonly now: () => Date = () => new Date()) {}

  async respond(history: readonly HistoryMessage[], userText: string): Promise<string> {
    return this.reply(history, userText);
  }

  /** The reply for `userText` (synchronous core of `respond`). */
  reply(history: readonly HistoryMessage[], userText: string): string {
    const t = userText.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').replace(/\s+/g, ' ').trim();
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
    if (/\bwhat time\b|\bthe time\b/.test(t)) {
      const d = this.now();
      return `It is ${d.getHours() % 12 || 12}:${String(d.getMinutes()).padStart(2, '0')} ${d.getHours() < 12 ? 'AM' : 'PM'}.`;
    }
    if (/\b(what day|the date|today's date|what is the date)\b/.test(t)) {
      return `Today is ${this.now().toLocaleDateString('en-US', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' })}.`;
    }
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

  async respond(history: readonly HistoryMessage[], userText: string, systemPrompt: string, signal: AbortSignal): Promise<string> {
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
      return fallback.respond(history, userText, systemPrompt, signal);
    }
  }
}
