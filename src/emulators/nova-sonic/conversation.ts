/**
 * The emulated Nova Sonic model behind one stream. A "brain" (any 16 kHz voicebridge
 * `SpeechModel`: the offline speech pipeline, or the echo brain) does the listening and talking;
 * this class turns its events into Nova output events in Nova's order (protocols.md §1.5; AWS
 * "Handling output events"): USER FINAL text, optional TOOL block, then per sentence an ASSISTANT
 * SPECULATIVE text, its AUDIO block and its ASSISTANT FINAL text (the "sentence-level transcription
 * of what was actually spoken"; `PARTIAL_TURN`, the last one `END_TURN`), and usage events with
 * `delta` and `total`. The brain ends the user's turn after the pause of the session's endpointing
 * sensitivity (`models.ts`). It keeps the assistant's speaking timeline (audio is generated faster
 * than real time) and, when the user speaks over it, sends all three barge-in signals (§1.6).
 */
import { randomUUID } from 'node:crypto';
import type { Resampler, ResamplerFactory } from '../../audio/resample.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { HistoryMessage, ModelEvent, ModelSession } from '../../models/model.js';
import type { BrainFactory } from '../shared/brain.js';
import { DEFAULT_ENDPOINTING, ENDPOINTING_PAUSE_MS } from './models.js';
import type { InputAction } from './protocol.js';

export type { BrainFactory, ToolCaller, TurnTaking } from '../shared/brain.js';

/** Settings of a conversation. */
export interface ConversationOptions {
  brain: BrainFactory;
  resamplers: ResamplerFactory;
  logger: Logger;
  /** Sends one output event (`{ event: … }`). */
  send(event: unknown): void;
  /** The emulated model issued a tool use (the validator must accept its result). */
  onToolUse(toolUseId: string): void;
  /** How long a tool result may take, ms. */
  toolTimeoutMs: number;
  /** Time and timers (the speaking timeline, tool timeouts). */
  clock: Clock;
}

/** Token counts of a `usageEvent` (`details.delta` / `details.total`). */
interface TokenCounts {
  input: { speechTokens: number; textTokens: number };
  output: { speechTokens: number; textTokens: number };
}

const BRAIN_RATE_HZ = 16000;
const OUTPUT_CHUNK_MS = 100;
const INTERRUPTED = '{ "interrupted" : true }';

/** One stream's emulated model. */
export class EmulatedConversation {
  readonly sessionId = randomUUID();
  private promptName = '';
  private outputRateHz = 24000;
  private brainOutputRateHz = BRAIN_RATE_HZ;
  private inputRateHz = 16000;
  private tools: string[] = [];
  private history: HistoryMessage[] = [];
  private brain: ModelSession | undefined;
  private opening = false;
  private early: Int16Array[] = [];
  private inResampler: Resampler | null = null;
  private outResampler: Resampler | null = null;
  private completionId: string | undefined;
  private endpointSilenceMs = ENDPOINTING_PAUSE_MS[DEFAULT_ENDPOINTING];
  /** The response being generated; `audio` is the open AUDIO block of its current sentence. */
  private response: { id: string; audio: { contentId: string; sentence: string } | undefined; text: string; spoken: string; pending: Int16Array[]; interrupted: boolean } | undefined;
  private speakingUntilMs = 0;
  private readonly toolWaiters = new Map<string, (content: string) => void>();
  private tokens = { inSpeech: 0, inText: 0, outSpeech: 0, outText: 0 };
  private reported: TokenCounts = { input: { speechTokens: 0, textTokens: 0 }, output: { speechTokens: 0, textTokens: 0 } };
  private closed = false;
  /** Counters for tests and logs. */
  readonly stats = { audioInputEvents: 0, audioInputSamples: 0, audioOutputMs: 0, interruptions: 0, toolUses: 0, userTurns: 0, responses: 0 };
  /** Caller audio received, at the declared input rate (kept only when `keepAudio`). */
  readonly receivedAudio: Int16Array[] = [];
  keepAudio = false;

  constructor(private readonly options: ConversationOptions) {}

  /** Applies one validated input action. */
  handle(action: InputAction): void {
    if (this.closed) return;
    switch (action.kind) {
      case 'sessionStart':
        this.endpointSilenceMs = ENDPOINTING_PAUSE_MS[action.endpointing ?? DEFAULT_ENDPOINTING];
        return;
      case 'promptStart':
        this.promptName = action.promptName;
        this.outputRateHz = action.outputRateHz;
        this.tools = action.tools;
        return;
      case 'history':
        this.history.push({ role: action.role === 'USER' ? 'user' : 'assistant', text: action.text });
        return;
      case 'system':
        this.tokens.inText += Math.ceil(action.text.length / 4);
        return;
      case 'audioStart':
        this.inputRateHz = action.inputRateHz;
        if (action.inputRateHz !== BRAIN_RATE_HZ) this.inResampler = this.options.resamplers.create(action.inputRateHz, BRAIN_RATE_HZ);
        void this.openBrain();
        return;
      case 'audio':
        this.onAudio(action.pcm);
        return;
      case 'userText':
        this.tokens.inText += Math.ceil(action.text.length / 4);
        if (this.brain) this.brain.sendText(action.text);
        return;
      case 'toolResult': {
        const w = this.toolWaiters.get(action.toolUseId);
        this.toolWaiters.delete(action.toolUseId);
        w?.(action.content);
        return;
      }
      case 'promptEnd':
      case 'sessionEnd':
        this.endCompletion();
        return;
      default:
        return;
    }
  }

  private async openBrain(): Promise<void> {
    if (this.brain || this.opening) return;
    this.opening = true;
    const model = this.options.brain.create({ declared: () => this.tools, call: (n, a, s) => this.callTool(n, a, s) }, this.outputRateHz, { endpointSilenceMs: this.endpointSilenceMs });
    this.brainOutputRateHz = model.outputRateHz;
    if (model.outputRateHz !== this.outputRateHz) this.outResampler = this.options.resamplers.create(model.outputRateHz, this.outputRateHz);
    const brain = await model.open({ callId: this.sessionId, systemPrompt: '', history: this.history, logger: this.options.logger, callerRateHz: this.inputRateHz });
    if (this.closed) {
      await brain.close();
      return;
    }
    this.brain = brain;
    brain.setHandler((e) => this.onBrainEvent(e));
    for (const pcm of this.early) brain.sendAudio(pcm);
    this.early = [];
  }

  private onAudio(pcm: Int16Array): void {
    this.stats.audioInputEvents++;
    this.stats.audioInputSamples += pcm.length;
    if (this.keepAudio) this.receivedAudio.push(pcm);
    const pcm16k = this.inResampler ? this.inResampler.process(pcm) : pcm;
    this.tokens.inSpeech += pcm.length / 640;
    if (this.brain) this.brain.sendAudio(pcm16k);
    else if (this.early.length < 500) this.early.push(pcm16k);
  }

  // ---- output ---------------------------------------------------------------------------------------

  private ids(): { sessionId: string; promptName: string; completionId: string } {
    if (!this.completionId) {
      this.completionId = randomUUID();
      this.options.send({ event: { completionStart: { sessionId: this.sessionId, promptName: this.promptName, completionId: this.completionId } } });
    }
    return { sessionId: this.sessionId, promptName: this.promptName, completionId: this.completionId };
  }

  private textBlock(role: 'USER' | 'ASSISTANT', stage: 'SPECULATIVE' | 'FINAL', content: string, stopReason: string): void {
    const ids = this.ids();
    const contentId = randomUUID();
    this.options.send({ event: { contentStart: { additionalModelFields: JSON.stringify({ generationStage: stage }), ...ids, contentId, role, textOutputConfiguration: { mediaType: 'text/plain' }, type: 'TEXT' } } });
    this.options.send({ event: { textOutput: { ...ids, content, contentId, role } } });
    this.options.send({ event: { contentEnd: { ...ids, contentId, stopReason, type: 'TEXT' } } });
  }

  /** A `usageEvent`: `details.delta` since the previous one, `details.total` and the session totals. */
  private usage(): void {
    const t = this.tokens;
    const total: TokenCounts = { input: { speechTokens: Math.round(t.inSpeech), textTokens: t.inText }, output: { speechTokens: Math.round(t.outSpeech), textTokens: t.outText } };
    const was = this.reported;
    const delta: TokenCounts = {
      input: { speechTokens: total.input.speechTokens - was.input.speechTokens, textTokens: total.input.textTokens - was.input.textTokens },
      output: { speechTokens: total.output.speechTokens - was.output.speechTokens, textTokens: total.output.textTokens - was.output.textTokens },
    };
    this.reported = total;
    const input = total.input.speechTokens + total.input.textTokens;
    const output = total.output.speechTokens + total.output.textTokens;
    this.options.send({ event: { usageEvent: { ...this.ids(), details: { delta, total }, totalInputTokens: input, totalOutputTokens: output, totalTokens: input + output } } });
  }

  private onBrainEvent(e: ModelEvent): void {
    if (this.closed) return;
    const now = this.options.clock.nowMs();
    switch (e.type) {
      case 'speechStarted':
        if (this.response && !this.response.interrupted && (now < this.speakingUntilMs || this.response.pending.length || !this.response.audio)) this.interrupt();
        else if (now < this.speakingUntilMs && this.response === undefined) this.interruptTail();
        return;
      case 'transcript':
        if (e.role === 'user' && e.final) {
          this.stats.userTurns++;
          this.textBlock('USER', 'FINAL', e.text, 'PARTIAL_TURN');
          this.usage();
        } else if (e.role === 'assistant' && this.response && e.responseId === this.response.id && !this.response.interrupted) {
          if (!e.final) this.speak(e.text);
          else this.response.text = e.text;
        }
        return;
      case 'responseStarted':
        this.response = { id: e.responseId, audio: undefined, text: '', spoken: '', pending: [], interrupted: false };
        this.stats.responses++;
        return;
      case 'audio':
        if (this.response && e.responseId === this.response.id && !this.response.interrupted) this.response.pending.push(e.pcm);
        return;
      case 'responseDone':
        if (this.response && e.responseId === this.response.id) this.finishResponse();
        return;
      default:
        return;
    }
  }

  /**
   * A sentence is ready (`cumulativeText` is the response so far): the previous sentence's AUDIO
   * block and FINAL text close with `PARTIAL_TURN`, then this one's SPECULATIVE text and AUDIO
   * block open, and its audio follows.
   */
  private speak(cumulativeText: string): void {
    const r = this.response!;
    const sentence = cumulativeText.slice(r.spoken.length).trim();
    r.spoken = cumulativeText;
    r.text = cumulativeText;
    if (r.audio) this.closeSentence('PARTIAL_TURN');
    if (sentence) this.textBlock('ASSISTANT', 'SPECULATIVE', sentence, 'PARTIAL_TURN');
    this.openAudio(sentence);
    this.flushAudio();
    this.tokens.outText += sentence ? sentence.split(/\s+/).length : 0;
  }

  private openAudio(sentence: string): void {
    const r = this.response!;
    r.audio = { contentId: randomUUID(), sentence };
    this.options.send({ event: { contentStart: { audioOutputConfiguration: { channelCount: 1, encoding: 'base64', mediaType: 'audio/lpcm', sampleRateHertz: this.outputRateHz, sampleSizeBits: 16 }, ...this.ids(), contentId: r.audio.contentId, role: 'ASSISTANT', type: 'AUDIO' } } });
  }

  /** Sends the brain's pending audio in the open AUDIO block (opening one if none is). */
  private flushAudio(): void {
    const r = this.response!;
    if (!r.pending.length) return;
    if (!r.audio) this.openAudio('');
    const ids = this.ids();
    const chunkSamples = (OUTPUT_CHUNK_MS * this.outputRateHz) / 1000;
    for (const brainPcm of r.pending) {
      const pcm = this.outResampler ? this.outResampler.process(brainPcm) : brainPcm;
      for (let at = 0; at < pcm.length; at += chunkSamples) {
        const part = pcm.subarray(at, Math.min(pcm.length, at + chunkSamples));
        this.options.send({ event: { audioOutput: { ...ids, content: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'), contentId: r.audio!.contentId, role: 'ASSISTANT' } } });
        this.stats.audioOutputMs += (part.length * 1000) / this.outputRateHz;
      }
      const ms = (brainPcm.length * 1000) / this.brainOutputRateHz;
      this.speakingUntilMs = Math.max(this.speakingUntilMs, this.options.clock.nowMs()) + ms;
      this.tokens.outSpeech += ms / 40;
    }
    r.pending = [];
  }

  /** Closes the current sentence: its AUDIO block, then its FINAL text, with `stopReason`. */
  private closeSentence(stopReason: 'PARTIAL_TURN' | 'END_TURN'): void {
    const r = this.response!;
    const audio = r.audio!;
    r.audio = undefined;
    this.options.send({ event: { contentEnd: { ...this.ids(), contentId: audio.contentId, stopReason, type: 'AUDIO' } } });
    if (audio.sentence) this.textBlock('ASSISTANT', 'FINAL', audio.sentence, stopReason);
  }

  private finishResponse(): void {
    const r = this.response!;
    if (r.interrupted) {
      this.response = undefined;
      return;
    }
    this.flushAudio();
    // Text the brain never announced sentence by sentence belongs to the last sentence.
    const rest = !r.spoken ? r.text.trim() : r.text.startsWith(r.spoken) ? r.text.slice(r.spoken.length).trim() : '';
    if (r.audio) {
      if (rest) r.audio.sentence = `${r.audio.sentence} ${rest}`.trim();
      this.closeSentence('END_TURN');
    } else if (r.text) this.textBlock('ASSISTANT', 'FINAL', r.text, 'END_TURN');
    this.response = undefined;
    this.usage();
  }

  /** Barge-in during a response: the `{ "interrupted" : true }` text, TEXT and AUDIO `contentEnd` INTERRUPTED. */
  private interrupt(): void {
    const r = this.response!;
    r.interrupted = true;
    r.pending = [];
    this.stats.interruptions++;
    this.textBlock('ASSISTANT', 'FINAL', INTERRUPTED, 'INTERRUPTED');
    if (r.audio) this.options.send({ event: { contentEnd: { ...this.ids(), contentId: r.audio.contentId, stopReason: 'INTERRUPTED', type: 'AUDIO' } } });
    r.audio = undefined;
    this.speakingUntilMs = 0;
    this.brain?.cancelResponse();
  }

  /** Barge-in after the response was fully generated but is still being spoken. */
  private interruptTail(): void {
    this.stats.interruptions++;
    this.textBlock('ASSISTANT', 'FINAL', INTERRUPTED, 'INTERRUPTED');
    this.speakingUntilMs = 0;
  }

  private callTool(name: string, args: unknown, signal: AbortSignal): Promise<string> {
    const toolUseId = randomUUID();
    const contentId = randomUUID();
    const ids = this.ids();
    this.stats.toolUses++;
    this.options.onToolUse(toolUseId);
    this.options.send({ event: { contentStart: { ...ids, contentId, role: 'TOOL', toolUseOutputConfiguration: { mediaType: 'application/json' }, type: 'TOOL' } } });
    this.options.send({ event: { toolUse: { ...ids, content: JSON.stringify(args ?? {}), contentId, role: 'TOOL', toolName: name, toolUseId } } });
    this.options.send({ event: { contentEnd: { ...ids, contentId, stopReason: 'TOOL_USE', type: 'TOOL' } } });
    const clock = this.options.clock;
    return new Promise((resolve, reject) => {
      const timer: TimerHandle = clock.setTimeout(() => {
        this.toolWaiters.delete(toolUseId);
        reject(new Error(`tool ${name} did not answer within ${this.options.toolTimeoutMs} ms`));
      }, this.options.toolTimeoutMs);
      signal.addEventListener('abort', () => {
        clock.clearTimeout(timer);
        this.toolWaiters.delete(toolUseId);
        reject(new Error('aborted'));
      });
      this.toolWaiters.set(toolUseId, (content) => {
        clock.clearTimeout(timer);
        resolve(content);
      });
    });
  }

  private endCompletion(): void {
    if (!this.completionId) return;
    this.options.send({ event: { completionEnd: { sessionId: this.sessionId, promptName: this.promptName, completionId: this.completionId, stopReason: 'END_TURN' } } });
    this.completionId = undefined;
  }

  /** Stops the brain and releases resamplers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const brain = this.brain;
    this.brain = undefined;
    this.inResampler?.destroy();
    this.outResampler?.destroy();
    await brain?.close();
  }
}
