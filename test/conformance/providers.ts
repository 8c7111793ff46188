/**
 * The providers the ModelSession conformance suite runs against, one entry each. Adding a provider
 * is one more entry: how to build its model, how to make it answer one
 * caller turn, and how to see that typed text reached it.
 */
import { silentLogger } from '../../src/core/logger.js';
import { loopbackModel } from '../../src/models/loopback/model.js';
import { loadLocalModel, missingLocalPackages, type LoadedLocalModel } from '../../src/models/local/model.js';
import type { ModelEvent, ModelSession, SpeechModel } from '../../src/models/model.js';
import { novaSonicModel } from '../../src/models/nova-sonic/model.js';
import { openaiRealtimeModel } from '../../src/models/openai/model.js';
import { energyVadFactory } from '../../src/audio/vad/energy.js';
import { assistantReply, FakeBedrockClient, userTurn } from '../fakes/bedrock.js';
import { advanceAsync, FakeClock } from '../fakes/clock.js';
import { fakeModel, FakeModelSession } from '../fakes/model-session.js';
import { assistantReply as openaiReply, FakeOpenAIRealtimeServer, userTurn as openaiUserTurn } from '../fakes/openai-realtime.js';
import { testNovaSettings } from '../helpers/nova.js';
import { eventually } from '../helpers/wait.js';

/** One provider under test, set up for one test. */
export interface ProviderHarness {
  model: SpeechModel;
  /** The fake clock the provider's timers run on, when it takes one. */
  clock?: FakeClock;
  /** Feeds one caller utterance at the model's input rate and makes the provider answer it. */
  speak(session: ModelSession): Promise<void>;
  /** Waits (advancing the fake clock where there is one) until `check()` holds. */
  until(check: () => boolean, what: string): Promise<void>;
  /** Waits until typed `text` visibly reached the provider, given the session's events so far (only for providers declaring text input). */
  textReached(events: readonly ModelEvent[], text: string): Promise<void>;
  /** Releases what `setup` started. */
  teardown(): Promise<void>;
}

/** A provider entry of the suite. */
export interface ProviderEntry {
  name: string;
  /** Why it cannot run here (e.g. missing optional packages); undefined: it runs. */
  skip?: () => string | undefined;
  /** Whether the provider frames its audio in responses (responseStarted … responseDone). */
  responses: boolean;
  setup(): Promise<ProviderHarness>;
  /** Shared set-up kept across the entry's tests (worker pools); optional. */
  beforeAll?(): Promise<void>;
  afterAll?(): Promise<void>;
}

/** Samples of a tone at `rateHz` lasting `ms`, loud enough to be speech for energy VADs. */
export function tone(rateHz: number, ms: number, hz = 220): Int16Array {
  const out = new Int16Array(Math.round((rateHz * ms) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rateHz));
  return out;
}

/** Feeds `pcm` in 20 ms frames. */
export function feed(session: ModelSession, pcm: Int16Array, rateHz: number): void {
  const frame = rateHz / 50;
  for (let at = 0; at < pcm.length; at += frame) session.sendAudio(pcm.subarray(at, at + frame));
}

const realUntil = async (check: () => boolean, what: string): Promise<void> => void (await eventually(() => check(), what, 20_000));

let local: LoadedLocalModel | undefined;

/** Every ModelSession implementation. */
export const PROVIDERS: ProviderEntry[] = [
  {
    name: 'loopback',
    responses: false,
    async setup() {
      const model = loopbackModel(16000);
      return {
        model,
        speak: async (session) => feed(session, tone(16000, 400), 16000),
        until: realUntil,
        textReached: async () => {
          throw new Error('loopback declares no text input');
        },
        teardown: async () => {},
      };
    },
  },
  {
    // The shared fake must keep the contract it stands in for.
    name: 'fake model session (test/fakes)',
    responses: true,
    async setup() {
      const model = fakeModel(undefined, { textInput: true });
      return {
        model,
        async speak(session) {
          feed(session, tone(16000, 400), 16000);
          const fake = session as FakeModelSession;
          if (fake.audioIn.length > 0) fake.reply('Hello there.', tone(16000, 200));
        },
        until: realUntil,
        textReached: (_events, text) => realUntil(() => model.sessions.at(-1)?.textIn.includes(text) === true, 'the typed text in the fake'),
        teardown: async () => {},
      };
    },
  },
  {
    name: 'nova-sonic (fake Bedrock client, fake clock)',
    responses: true,
    async setup() {
      const clock = new FakeClock();
      const client = new FakeBedrockClient();
      const model = novaSonicModel(client, testNovaSettings(), clock);
      const until = async (check: () => boolean, what: string): Promise<void> => {
        for (let t = 0; t < 30_000; t += 50) {
          if (check()) return;
          await advanceAsync(clock, 50, 50);
        }
        throw new Error(`fake time ran out waiting for ${what}`);
      };
      return {
        model,
        clock,
        async speak(session) {
          feed(session, tone(model.inputRateHz, 400), model.inputRateHz);
          await until(() => client.last.inputNames().includes('audioInput'), 'the audio to reach Bedrock');
          for (const e of [...userTurn('hello'), ...assistantReply('Hello there, caller.', tone(model.outputRateHz, 200))]) client.last.push(e);
        },
        until,
        textReached: (_events, text) => until(() => client.last.inputs.some((e) => e.event.textInput?.content === text), 'the text input on the stream'),
        teardown: async () => {},
      };
    },
  },
  {
    name: 'openai (fake OpenAI Realtime server on a real socket, fake clock)',
    responses: true,
    async setup() {
      const fake = await FakeOpenAIRealtimeServer.start({ apiKey: 'sk-conformance' });
      // The clock is never advanced: nothing in a healthy session waits on a timer; it shows timers are released.
      const clock = new FakeClock();
      const model = openaiRealtimeModel({ url: fake.url(), apiKey: 'sk-conformance', voice: 'marin', turnDetection: { type: 'semantic_vad', eagerness: 'auto' }, transcriptionModel: 'gpt-4o-mini-transcribe', startTimeoutMs: 10_000 }, clock);
      let turn = 0;
      return {
        model,
        clock,
        async speak(session) {
          feed(session, tone(model.inputRateHz, 400), model.inputRateHz);
          await realUntil(() => fake.last.ofType('input_audio_buffer.append').length > 0, 'the audio to reach the fake server');
          const n = ++turn;
          for (const e of [...openaiUserTurn(`item_u${n}`, 'hello'), ...openaiReply(`resp_${n}`, `item_a${n}`, 'Hello there, caller.', tone(model.outputRateHz, 200))]) fake.last.push(e);
        },
        until: realUntil,
        textReached: (_events, text) => realUntil(() => fake.last.ofType('conversation.item.create').some((e) => e.item?.content?.[0]?.type === 'input_text' && e.item.content[0].text === text), 'the input_text item on the socket'),
        teardown: () => fake.close(),
      };
    },
  },
  {
    name: 'local (offline model, real worker pools)',
    responses: true,
    skip: () => (missingLocalPackages().length ? `missing ${missingLocalPackages().join(', ')}` : undefined),
    async beforeAll() {
      local = await loadLocalModel({ sttPoolSize: 1, ttsVoice: 'slt', endpointSilenceMs: 500, vad: energyVadFactory() }, silentLogger);
    },
    async afterAll() {
      await local?.close();
    },
    async setup() {
      const loaded = local!;
      const speech = await loaded.parts.tts.synthesize('Hello, what time is it?', 'slt');
      return {
        model: loaded.model,
        async speak(session) {
          // Frame by frame, yielding between frames: the VAD drops windows fed faster than it scores them.
          const audio = new Int16Array(speech.length + 16000); // a second of silence ends the turn
          audio.set(speech);
          for (let at = 0; at < audio.length; at += 320) {
            session.sendAudio(audio.subarray(at, at + 320));
            await new Promise((r) => setImmediate(r));
          }
        },
        until: realUntil,
        // The local model takes typed text as the user's turn: a final user transcript, then a reply.
        textReached: (events, text) =>
          realUntil(() => events.some((e) => e.type === 'transcript' && e.role === 'user' && e.text === text) && events.some((e) => e.type === 'responseStarted'), 'the typed turn and its reply'),
        teardown: async () => {},
      };
    },
  },
];
