/**
 * The emulated OpenAI Realtime model behind one WebSocket: client events in, the brain's
 * `ModelEvent`s out as GA server events (protocols.md §2.3–2.5). Server VAD is the brain's own
 * turn-taking (pause: `silence_duration_ms`, or by semantic-VAD eagerness): `speech_started`,
 * `speech_stopped`, `committed`, the user item, its transcription if asked for. Without turn
 * detection audio waits in the input buffer until `commit`. A brain response is streamed when the
 * session creates responses (`create_response`) or the client asked; else it waits for
 * `response.create`. A tool call (a trigger matched the caller's words) ends the response with a
 * `function_call` item; the brain goes on with the `function_call_output` in the next response.
 */
import type { ModelEvent, ModelSession } from '../../models/model.js';
import { newId, RealtimeRequestError, serverErrorBody } from './errors.js';
import type { RealtimeConversationOptions } from './conversation-options.js';
import { IdleTimeout } from './idle-timeout.js';
import { PacedOutput } from './paced-output.js';
import type { ClientEvent } from './protocol.js';
import { FunctionCallWaiters } from './function-calls.js';
import { ConversationItems } from './items.js';
import { ResponseStream, type ResponseEnding } from './response-stream.js';
import { applySessionUpdate, defaultSession, endpointSilenceMs, formatRateHz, prefixPaddingMs, type RealtimeSessionState } from './session.js';
import { CallerAudio, OutputEncoder } from './wire-audio.js';
import { BrainFeed } from './brain-feed.js';

export type { RealtimeConversationOptions } from './conversation-options.js';

/** A brain response and where its events go: a live response, held until `response.create`, or dropped. */
interface BrainResponse {
  id: string;
  stream: ResponseStream | undefined;
  held: ModelEvent[] | undefined;
  pendingPcm: Int16Array[];
}

const OUTPUT_CHUNK_MS = 100;

/** One WebSocket's emulated model. */
export class RealtimeConversation {
  /** The session as `session.updated` last reported it. */
  session: RealtimeSessionState;
  /** `conversation_id` of its responses. */
  readonly conversationId = newId('conv');
  /** Counters for tests and logs. */
  readonly stats = { responses: 0, cancelled: 0, toolCalls: 0, userTurns: 0, inputAudioMs: 0 };
  /** Each append's audio bytes in the wire format, with `keepAudio` (else empty). */
  readonly receivedAudio: Buffer[] = [];
  private readonly out: PacedOutput;
  private readonly items = new ConversationItems();
  private brain: ModelSession | undefined;
  private brainRateHz = { input: 16000, output: 16000 };
  private opening: Promise<void> | undefined;
  private early: Int16Array[] = [];
  private feed: BrainFeed | undefined;
  private readonly caller: CallerAudio;
  private encoder: OutputEncoder | undefined;
  private speechItemId: string | undefined;
  private speechStartMs = 0;
  private readonly awaitingTranscript: string[] = [];
  private textEchoes = 0;
  private pendingCreates = 0;
  private unansweredText: string[] = [];
  /** The brain's latest response. */
  private current: BrainResponse | undefined;
  /** The brain response whose stream is live (until its `response.done` has been sent). */
  private active: BrainResponse | undefined;
  private readonly calls: FunctionCallWaiters;
  private readonly idle: IdleTimeout;
  private brainEndpointMs = 500;
  private assistantAudioSent = false;
  private inputTokens = { text: 0, audio: 0 };
  private failArmed = false;
  private closed = false;

  constructor(private readonly options: RealtimeConversationOptions) {
    this.session = defaultSession(newId('sess'), options.model, options.expiresAtS);
    this.out = new PacedOutput(options.clock, options.pace, options.send);
    this.calls = new FunctionCallWaiters(options.clock, options.toolTimeoutMs);
    this.caller = new CallerAudio(options.resamplers);
    this.idle = new IdleTimeout(options.clock, (startMs) => this.onIdle(startMs));
    this.emit({ type: 'session.created', session: this.session });
  }

  /** Sends an event at once (response events go through the paced output instead). */
  private emit(event: Record<string, unknown>): void {
    if (!this.closed) this.options.send({ event_id: newId('event'), ...event });
  }

  private get vad(): boolean { return this.session.audio.input.turn_detection !== null; }

  /**
   * Applies one client event.
   * @throws RealtimeRequestError when the event is refused (the caller sends it as an `error` event).
   */
  handle(e: ClientEvent): void {
    if (this.closed) return;
    switch (e.type) {
      case 'session.update': {
        const before = this.session.audio;
        this.session = applySessionUpdate(this.session, e.session, this.assistantAudioSent);
        if (JSON.stringify(before.output.format) !== JSON.stringify(this.session.audio.output.format)) this.encoder = void this.encoder?.destroy();
        this.emit({ type: 'session.updated', session: this.session });
        return;
      }
      case 'input_audio_buffer.append':
        return this.append(e.audio);
      case 'input_audio_buffer.commit':
        return this.commit();
      case 'input_audio_buffer.clear':
        return void (this.caller.drain(), this.emit({ type: 'input_audio_buffer.cleared' }));
      case 'conversation.item.create':
        return this.createItem(e);
      case 'conversation.item.truncate': {
        const item = this.items.truncate(e.item_id, e.content_index, e.audio_end_ms);
        this.brain?.truncate(item.brainResponseId, e.audio_end_ms);
        this.emit({ type: 'conversation.item.truncated', item_id: e.item_id, content_index: 0, audio_end_ms: e.audio_end_ms });
        return;
      }
      case 'conversation.item.delete':
        return void (this.items.delete(e.item_id), this.emit({ type: 'conversation.item.deleted', item_id: e.item_id }));
      case 'conversation.item.retrieve':
        return this.emit({ type: 'conversation.item.retrieved', item: this.items.retrieve(e.item_id) });
      case 'response.create':
        return this.createResponse(e.response.instructions);
      case 'response.cancel':
        if (!this.active?.stream || (e.response_id !== undefined && e.response_id !== this.active.stream.id)) {
          // The real API's refusal (code and message as clients report them, e.g. pipecat, openai-agents).
          throw new RealtimeRequestError('response_cancel_not_active', 'Cancellation failed: no active response found', null);
        }
        this.cancelActive({ status: 'cancelled', reason: 'client_cancelled' });
        return;
    }
  }

  // ---- input --------------------------------------------------------------------------------------

  private async openBrain(): Promise<void> {
    const rateHz = formatRateHz(this.session.audio.output.format);
    this.brainEndpointMs = endpointSilenceMs(this.session.audio.input.turn_detection);
    const model = this.options.brain.create({ declared: () => this.toolNames(), call: (n, a, s) => this.callTool(n, a, s) }, rateHz, { endpointSilenceMs: this.brainEndpointMs });
    this.brainRateHz = { input: model.inputRateHz, output: model.outputRateHz };
    const history = this.items.history(); // what came before the texts still to answer
    this.feed = new BrainFeed(this.options.clock, model.inputRateHz, (pcm) => (this.brain ? this.brain.sendAudio(pcm) : this.early.push(pcm)));
    const brain = await model.open({ callId: this.session.id, systemPrompt: this.session.instructions, history: history.slice(0, history.length - this.unansweredText.length), logger: this.options.logger, callerRateHz: formatRateHz(this.session.audio.input.format) });
    if (this.closed) return void (await brain.close());
    this.brain = brain;
    brain.setHandler((ev) => this.onBrainEvent(ev));
    for (const pcm of this.early.splice(0)) brain.sendAudio(pcm);
  }

  private ensureBrain(): void {
    this.opening ??= this.openBrain().catch((err: unknown) => {
      this.options.logger.warn({ err: String(err) }, 'emulator brain failed to open');
      this.emit({ type: 'error', error: serverErrorBody() });
    });
  }

  private toBrain(pcm: Int16Array): void {
    this.ensureBrain();
    this.feed?.push(pcm);
  }

  private append(bytes: Buffer): void {
    this.ensureBrain();
    const { pcm, ms } = this.caller.decode(bytes, this.session.audio.input.format, this.brainRateHz.input);
    this.inputTokens.audio += ms / 100;
    this.stats.inputAudioMs += ms;
    if (this.options.keepAudio) this.receivedAudio.push(bytes);
    this.options.onAudioInput?.(ms);
    if (this.vad) this.toBrain(pcm);
    else this.caller.hold(pcm, ms);
  }

  private commit(): void {
    if (this.vad && this.speechItemId) return this.endSpeech(this.speechItemId, this.feed?.fedMs ?? 0);
    const bufferedMs = this.caller.bufferedMs;
    if (bufferedMs < 100) {
      // The real API's refusal of a commit with under 100 ms buffered (as clients report it).
      throw new RealtimeRequestError('input_audio_buffer_commit_empty', `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${bufferedMs.toFixed(2)}ms of audio.`, null);
    }
    this.userAudioItem(newId('item'), bufferedMs);
    for (const pcm of this.caller.drain()) this.toBrain(pcm);
    // Silence after the words lets the brain's own endpointing close the utterance.
    this.toBrain(new Int16Array(Math.round(((this.brainEndpointMs + 300) * this.brainRateHz.input) / 1000)));
  }

  /** `committed`, then the user audio item (`conversation.item.added` / `.done`); its transcript follows. */
  private userAudioItem(id: string, audioMs: number): void {
    const { wire, previous } = this.items.addUserAudio(id, audioMs);
    this.emit({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: id });
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: structuredClone(wire) });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: structuredClone(wire) });
    this.awaitingTranscript.push(id);
    this.stats.userTurns++;
  }

  private endSpeech(itemId: string, audioEndMs: number): void {
    this.speechItemId = undefined;
    this.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.max(0, Math.round(audioEndMs)), item_id: itemId });
    this.userAudioItem(itemId, Math.max(0, audioEndMs - this.speechStartMs));
  }

  private createItem(e: Extract<ClientEvent, { type: 'conversation.item.create' }>): void {
    const item = e.item;
    const wire = this.items.fromClient(item, e.previous_item_id);
    const previous = this.items.add(wire);
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: wire });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: wire });
    if (item.type === 'function_call_output') this.calls.setOutput(item.call_id, item.output);
    else if (item.role === 'assistant') this.unansweredText = [];
    else if (item.role === 'user') {
      this.unansweredText.push(item.text);
      this.inputTokens.text += Math.ceil(item.text.length / 4);
    }
  }

  // ---- responses ----------------------------------------------------------------------------------

  private createResponse(instructions: string | undefined): void {
    if (this.active?.stream) {
      throw new RealtimeRequestError('conversation_already_has_active_response', `Conversation already has an active response in progress: ${this.active.stream.id}. Wait until the response is finished before creating a new one.`, null);
    }
    const held = this.current?.held;
    if (this.current && held) {
      const r = this.current;
      r.held = undefined;
      this.startStream(r);
      for (const ev of held) this.route(r, ev);
      this.calls.release(r.id);
      return;
    }
    this.ensureBrain();
    this.pendingCreates++;
    const text = this.unansweredText.splice(0).join(' ') || instructions || this.session.instructions || 'Hello.';
    // The brain echoes the text as a user transcript: that one is not an audio item's transcription.
    void this.opening?.then(() => (this.textEchoes++, this.brain?.sendText(text)));
  }

  private startStream(r: BrainResponse): void {
    const format = this.session.audio.output;
    r.stream = new ResponseStream(
      {
        out: this.out,
        modality: this.session.output_modalities[0],
        audioOutput: { format: format.format, voice: format.voice },
        conversationId: this.conversationId,
        lastItemId: () => this.items.last(),
        onItem: (item) => this.items.add(item.wire, item),
        inputTokens: () => ({ text: this.inputTokens.text, audio: Math.round(this.inputTokens.audio) }),
      },
      r.id,
    );
    this.active = r;
    this.idle.disarm();
    this.unansweredText = [];
    this.stats.responses++;
  }

  private onBrainEvent(ev: ModelEvent): void {
    if (this.closed) return;
    switch (ev.type) {
      case 'speechStarted':
        if (!this.vad) return;
        this.speechItemId = newId('item');
        this.idle.disarm();
        this.speechStartMs = Math.max(0, Math.round((this.feed?.fedMs ?? 0) - prefixPaddingMs(this.session)));
        this.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: this.speechStartMs, item_id: this.speechItemId });
        if (this.session.audio.input.turn_detection!.interrupt_response && this.active) this.cancelActive({ status: 'cancelled', reason: 'turn_detected' });
        return;
      case 'speechStopped':
        if (this.vad && this.speechItemId) this.endSpeech(this.speechItemId, (this.feed?.fedMs ?? 0) - (ev.speechEndedAgoMs ?? 0));
        return;
      case 'transcript':
        if (ev.role === 'user') return this.userTranscript(ev.text);
        break;
      case 'responseStarted': {
        const r: BrainResponse = { id: ev.responseId, stream: undefined, held: undefined, pendingPcm: [] };
        this.current = r;
        const auto = this.session.audio.input.turn_detection?.create_response === true;
        if (this.pendingCreates > 0 || auto) this.startStream(r);
        else r.held = [];
        if (this.pendingCreates > 0) this.pendingCreates--;
        return;
      }
      case 'error':
        this.emit({ type: 'error', error: serverErrorBody(ev.message) });
        return;
      default:
        break;
    }
    const responseId = 'responseId' in ev ? ev.responseId : undefined;
    if (this.current && responseId === this.current.id) this.route(this.current, ev);
  }

  private userTranscript(text: string): void {
    if (this.textEchoes > 0) {
      this.textEchoes--;
      return;
    }
    const id = this.awaitingTranscript.shift();
    const audioMs = id ? this.items.setTranscript(id, text) : undefined;
    if (!id || audioMs === undefined) return;
    this.inputTokens.text += Math.ceil(text.length / 4);
    if (!this.session.audio.input.transcription) return;
    this.emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: id, content_index: 0, delta: text });
    this.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: id, content_index: 0, transcript: text, usage: { type: 'duration', seconds: Math.round(audioMs) / 1000 } });
  }

  /** Sends (or holds) one brain event of response `r`. */
  private route(r: BrainResponse, ev: ModelEvent): void {
    if (r.held) return void r.held.push(ev);
    const s = r.stream;
    if (!s || s.done) return;
    if (ev.type === 'audio') {
      r.pendingPcm.push(ev.pcm);
      if (r.pendingPcm.length === 1) queueMicrotask(() => this.flushAudio(r));
    } else if (ev.type === 'transcript' && ev.role === 'assistant' && (!ev.final || !s.hasTranscript)) {
      // Transcript first, then the audio it goes with.
      s.transcriptSoFar(ev.text);
      this.flushAudio(r);
    } else if (ev.type === 'toolCall') {
      this.flushAudio(r);
      s.functionCall(ev.toolCallId, ev.name, JSON.stringify(ev.arguments ?? {}));
      this.out.then(() => this.finishStream(r, { status: 'completed' }));
      // The brain goes on once the client answers and asks for the next response.
      r.held = [];
    } else if (ev.type === 'responseDone') {
      this.flushAudio(r);
      const ending: ResponseEnding = ev.cancelled ? { status: 'cancelled', reason: 'turn_detected' } : { status: 'completed' };
      this.out.then(() => this.finishStream(r, ending));
      if (this.current === r) this.current = undefined;
    }
  }

  private flushAudio(r: BrainResponse): void {
    const s = r.stream;
    if (!s || s.done || !r.pendingPcm.length) return;
    this.encoder ??= new OutputEncoder(this.session.audio.output.format, this.brainRateHz.output, this.options.resamplers);
    for (const pcm of r.pendingPcm.splice(0)) {
      for (const chunk of this.encoder.chunks(pcm, this.brainRateHz.output, OUTPUT_CHUNK_MS)) {
        s.audioDelta(chunk.bytes, chunk.ms);
        this.assistantAudioSent = true;
        if (this.failArmed) this.out.then(() => this.failActive());
        this.failArmed = false;
      }
    }
  }

  private finishStream(r: BrainResponse, ending: ResponseEnding): void {
    const td = this.session.audio.input.turn_detection;
    const playbackMs = Math.max(0, this.out.playedUntilMs - this.options.clock.nowMs());
    if (r.stream && ending.status === 'completed' && td?.type === 'server_vad' && td.idle_timeout_ms) this.idle.arm(playbackMs + td.idle_timeout_ms, Math.round((this.feed?.fedMs ?? 0) + playbackMs));
    r.stream?.finish(ending);
    r.stream = undefined;
    if (this.active === r) this.active = undefined;
  }

  /** Ends the active response early: unsent deltas dropped, `before` sent, `response.done` says why. */
  private cancelActive(ending: ResponseEnding, before?: Record<string, unknown>): void {
    const r = this.active;
    if (!r) return;
    this.out.clear();
    this.encoder?.reset();
    if (ending.status === 'cancelled') this.stats.cancelled++;
    if (before) this.out.push({ event_id: newId('event'), ...before });
    r.pendingPcm = [];
    this.finishStream(r, ending);
    if (this.current === r) {
      this.current = undefined;
      this.brain?.cancelResponse();
    }
  }

  /**
   * Fault: the active response (or the next one, after its first audio delta) fails with a
   * `server_error` `error` event and `response.done` status `failed`.
   */
  failResponse(): void {
    if (this.active) this.failActive();
    else this.failArmed = true;
  }

  private failActive(): void {
    this.cancelActive({ status: 'failed', error: { type: 'server_error', code: 'server_error' } }, { type: 'error', error: serverErrorBody(undefined, 'server_error') });
  }

  // ---- tools ---------------------------------------------------------------------------------------
  private toolNames(): string[] { return this.session.tools.filter((t) => t.type === 'function').map((t) => String(t.name)); }

  private callTool(name: string, args: unknown, signal: AbortSignal): Promise<string> {
    const r = this.current;
    if (!r) return Promise.reject(new Error('no response to call a tool from'));
    const callId = newId('call');
    this.stats.toolCalls++;
    this.route(r, { type: 'toolCall', toolCallId: callId, name, arguments: args });
    return this.calls.wait(callId, name, r.id, signal);
  }

  /** The caller stayed silent past `idle_timeout_ms`: `timeout_triggered`, then a response prompting them (the brain hears "Hello?"). */
  private onIdle(audioStartMs: number): void {
    if (this.closed || this.active) return;
    this.emit({ type: 'input_audio_buffer.timeout_triggered', audio_start_ms: audioStartMs, audio_end_ms: Math.round(this.feed?.fedMs ?? 0), item_id: newId('item') });
    this.createResponse('Hello?');
  }

  /** Stops the brain, the output and the timers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.out.close();
    this.calls.close();
    this.idle.disarm();
    this.caller.destroy();
    this.feed?.close();
    this.encoder?.destroy();
    await this.opening;
    await this.brain?.close();
  }
}
