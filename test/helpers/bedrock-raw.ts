/**
 * Drives the Bedrock emulator with the real AWS SDK and a scripted list of Nova Sonic input
 * events, as any Bedrock client would (no voicebridge provider in between): it sends the events,
 * keeps the request open until the emulator ends the stream (or `endInput()` is called), and
 * returns every output event and the error the SDK threw, if any.
 */
import { BedrockRuntimeClient, InvokeModelWithBidirectionalStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { silentLogger } from '../../src/core/logger.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
delete process.env.AWS_BEARER_TOKEN_BEDROCK;

/** An output event as decoded JSON (`{ event: { name: body } }`). */
export type OutputEvent = { event: Record<string, Record<string, unknown>> };

/** What a scripted stream saw. */
export interface RawRun {
  /** Output events in arrival order. */
  events: OutputEvent[];
  /** What `send()` rejected with or the output loop threw (`err.name` is the Bedrock error type). */
  error: (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
}

/** More input for a running script, from the test (`feed.push(event, …)`). */
export class InputFeed {
  private sink: ((events: unknown[]) => void) | undefined;
  private early: unknown[] = [];

  /** Sends `events` after everything queued so far. */
  push(...events: unknown[]): void {
    if (this.sink) this.sink(events);
    else this.early.push(...events);
  }

  /** Connects the feed to a running script. */
  bind(sink: (events: unknown[]) => void): void {
    this.sink = sink;
    if (this.early.length) sink(this.early.splice(0));
  }
}

/** Options of a scripted stream. */
export interface RawOptions {
  modelId?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** SigV4 signing service name (default the SDK's own, `bedrock`). */
  signingName?: string;
  /** More input after the script: called once per output event; returned events are sent next. */
  onEvent?(event: OutputEvent, all: readonly OutputEvent[]): unknown[] | undefined;
  /** End the input (the SDK's end frame) once this holds for the events so far. */
  endInputWhen?(events: readonly OutputEvent[]): boolean;
  /** Input the test sends while the script runs. */
  feed?: InputFeed;
}

/** Name of an output event (`completionStart`, …). */
export const nameOf = (e: OutputEvent): string => Object.keys(e.event)[0];

/** Runs `input` against the emulator at `url` and collects what comes back. */
export async function runScript(url: string, input: readonly unknown[], options: RawOptions = {}): Promise<RawRun> {
  const client = new BedrockRuntimeClient({
    region: options.region ?? 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: options.accessKeyId ?? 'test', secretAccessKey: options.secretAccessKey ?? 'test' },
    logger: { ...silentLogger, trace() {} },
    ...(options.signingName ? { signingName: options.signingName } : {}),
  });
  const queue: unknown[] = [...input];
  let wake: (() => void) | undefined;
  let inputOpen = true;
  const endInput = (): void => {
    inputOpen = false;
    wake?.();
  };
  const push = (events: unknown[]): void => {
    queue.push(...events);
    wake?.();
  };
  options.feed?.bind(push);
  async function* body(): AsyncIterable<{ chunk: { bytes: Uint8Array } }> {
    for (;;) {
      while (queue.length) yield { chunk: { bytes: new TextEncoder().encode(JSON.stringify(queue.shift())) } };
      if (!inputOpen) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }
  const abort = new AbortController();
  const run: RawRun = { events: [], error: undefined };
  try {
    const response = await client.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: options.modelId ?? 'amazon.nova-2-sonic-v1:0', body: body() }), { abortSignal: abort.signal });
    for await (const part of response.body!) {
      if (!part.chunk?.bytes) continue;
      const event = JSON.parse(new TextDecoder().decode(part.chunk.bytes)) as OutputEvent;
      run.events.push(event);
      const more = options.onEvent?.(event, run.events);
      if (more?.length) push(more);
      if (options.endInputWhen?.(run.events)) endInput();
    }
  } catch (err) {
    run.error = err as RawRun['error'];
  } finally {
    endInput();
    abort.abort();
    client.destroy();
  }
  return run;
}
