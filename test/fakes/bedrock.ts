/**
 * A scripted fake of the part of `BedrockRuntimeClient` a Nova stream uses:
 * `send(InvokeModelWithBidirectionalStreamCommand, { abortSignal })`. Each `send` opens a
 * `FakeBedrockStream` that reads the input event stream (parsed JSON in `inputs`) and lets the test
 * accept it (HTTP 200 seen by the command's middleware), push output events (`contentStart`,
 * `textOutput`, `audioOutput`, `completionEnd`, …), fail it with an AWS exception name, end it, or
 * stay silent. No network and no timers: pair it with a `FakeClock`.
 */
import type { InvokeModelWithBidirectionalStreamCommand, InvokeModelWithBidirectionalStreamCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockStreamClient } from '../../src/models/nova-sonic/stream.js';

/** What a newly opened stream does: accept it (HTTP 200), refuse it with an exception, or never answer. */
export type FakeOpenBehaviour = 'accept' | 'silent' | { refuse: string; message?: string };

/** An error shaped like the SDK's modelled exceptions (`name` is the AWS exception type). */
export function awsException(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

type Chunk = { chunk: { bytes: Uint8Array } };

/** One bidirectional stream opened on the fake client. */
export class FakeBedrockStream {
  /** Input events received, parsed (`{ event: { sessionStart: … } }`, …). */
  readonly inputs: Record<string, any>[] = [];
  /** The input iterable was ended by the client (graceful close). */
  inputEnded = false;
  private readonly queue: (Chunk | Error | null)[] = [];
  private waiter: (() => void) | undefined;
  private done = false;
  /** Called after each input event is recorded. */
  onInput: ((event: Record<string, any>) => void) | undefined;

  constructor(readonly command: InvokeModelWithBidirectionalStreamCommand, readonly signal: AbortSignal | undefined) {
    signal?.addEventListener('abort', () => this.fail('AbortError', 'Request aborted'), { once: true });
    void this.readInput();
  }

  /** The stream was aborted by the client. */
  get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /** Names of the input events received, in order (`sessionStart`, `promptStart`, …). */
  inputNames(): string[] {
    return this.inputs.map((e) => Object.keys(e.event ?? {})[0]);
  }

  private async readInput(): Promise<void> {
    const body = this.command.input.body as AsyncIterable<Chunk> | undefined;
    if (!body) return;
    try {
      for await (const part of body) {
        const event = JSON.parse(new TextDecoder().decode(part.chunk.bytes)) as Record<string, any>;
        this.inputs.push(event);
        this.onInput?.(event);
      }
    } catch {
      // an aborted input ends the same way
    }
    this.inputEnded = true;
    // Bedrock ends the output once the client ended its input.
    this.end();
  }

  /** Sends one output event, e.g. `{ textOutput: { role: 'USER', content: 'hi' } }` (wrapped in `{ event }`). */
  push(event: Record<string, unknown>): void {
    this.enqueue({ chunk: { bytes: new TextEncoder().encode(JSON.stringify({ event })) } });
  }

  /** Ends the output stream cleanly (no error). */
  end(): void {
    this.enqueue(null);
  }

  /** Fails the output stream with an AWS exception (`ModelStreamErrorException`, …). */
  fail(name: string, message = name): void {
    this.enqueue(awsException(name, message));
  }

  private enqueue(item: Chunk | Error | null): void {
    if (this.done) return;
    if (item === null || item instanceof Error) this.done = true;
    this.queue.push(item);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The output body as the SDK exposes it. */
  async *body(): AsyncGenerator<Chunk> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((r) => (this.waiter = r));
      const item = this.queue.shift()!;
      if (item === null) return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

/** The fake client: every `send` opens a stream that behaves as the next scripted behaviour (default `accept`). */
export class FakeBedrockClient implements BedrockStreamClient {
  /** Every stream opened, in order. */
  readonly streams: FakeBedrockStream[] = [];
  private readonly script: FakeOpenBehaviour[] = [];
  /** Called with each stream as it opens. */
  onStream: ((stream: FakeBedrockStream) => void) | undefined;

  /** Scripts the behaviour of the next stream opens, in order; later ones accept. */
  next(...behaviours: FakeOpenBehaviour[]): this {
    this.script.push(...behaviours);
    return this;
  }

  /** The most recent stream. */
  get last(): FakeBedrockStream {
    const s = this.streams.at(-1);
    if (!s) throw new Error('no stream was opened');
    return s;
  }

  /** Streams neither ended nor aborted. */
  openStreams(): number {
    return this.streams.filter((s) => !s.aborted && !s.inputEnded).length;
  }

  async send(command: InvokeModelWithBidirectionalStreamCommand, options?: { abortSignal?: AbortSignal }): Promise<InvokeModelWithBidirectionalStreamCommandOutput> {
    const behaviour = this.script.shift() ?? 'accept';
    const stream = new FakeBedrockStream(command, options?.abortSignal);
    this.streams.push(stream);
    this.onStream?.(stream);
    if (behaviour === 'silent') {
      return new Promise((_, reject) => options?.abortSignal?.addEventListener('abort', () => reject(awsException('AbortError', 'Request aborted')), { once: true }));
    }
    if (typeof behaviour === 'object') throw awsException(behaviour.refuse, behaviour.message);
    // The command's own middleware (our response-headers probe) sees the HTTP 200, as with the SDK.
    const handler = command.middlewareStack.resolve(async () => ({ output: {} as never, response: { statusCode: 200 } }), {} as never);
    await handler({ input: command.input } as never);
    return { $metadata: { requestId: `fake-${this.streams.length}` }, body: stream.body() } as unknown as InvokeModelWithBidirectionalStreamCommandOutput;
  }
}

/** Output events of one assistant reply in Nova's order: SPECULATIVE text, audio, FINAL text, as contentStart/…/contentEnd blocks. */
export function assistantReply(text: string, audio: Int16Array): Record<string, unknown>[] {
  const stage = (s: string) => JSON.stringify({ generationStage: s });
  const b64 = Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength).toString('base64');
  return [
    { contentStart: { type: 'TEXT', role: 'ASSISTANT', contentId: 't1', additionalModelFields: stage('SPECULATIVE') } },
    { textOutput: { role: 'ASSISTANT', content: text, contentId: 't1' } },
    { contentEnd: { type: 'TEXT', contentId: 't1', stopReason: 'PARTIAL_TURN' } },
    { contentStart: { type: 'AUDIO', role: 'ASSISTANT', contentId: 'a1' } },
    { audioOutput: { role: 'ASSISTANT', content: b64, contentId: 'a1' } },
    { contentEnd: { type: 'AUDIO', contentId: 'a1', stopReason: 'END_TURN' } },
    { contentStart: { type: 'TEXT', role: 'ASSISTANT', contentId: 't2', additionalModelFields: stage('FINAL') } },
    { textOutput: { role: 'ASSISTANT', content: text, contentId: 't2' } },
    { contentEnd: { type: 'TEXT', contentId: 't2', stopReason: 'END_TURN' } },
  ];
}

/** Output events of the caller's recognized turn (a USER FINAL text block). */
export function userTurn(text: string): Record<string, unknown>[] {
  return [
    { contentStart: { type: 'TEXT', role: 'USER', contentId: 'u1', additionalModelFields: JSON.stringify({ generationStage: 'FINAL' }) } },
    { textOutput: { role: 'USER', content: text, contentId: 'u1' } },
    { contentEnd: { type: 'TEXT', contentId: 'u1', stopReason: 'END_TURN' } },
  ];
}
