/**
 * User tools (TOOLS_FILE: an HTTP tool, a stdio and a Streamable-HTTP MCP server, a failing and a
 * slow tool) in whole calls through the real server (`VOICEBRIDGE_MODEL=openai`) and the OpenAI
 * Realtime emulator, whose speech brain calls them as functions on the caller's words.
 */
import { afterAll, beforeAll } from 'vitest';
import { emulatedToolCallTests } from './helpers/emulated-tool-calls.js';
import { openAIEmulatorSettings, startEmulatorProcess, type EmulatorProcess } from './helpers/server-process.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';
import { EMULATOR_TRIGGERS, useToolFixtures } from './helpers/user-tools.js';

const tools = useToolFixtures();
let emulator: EmulatorProcess;
beforeAll(async () => {
  emulator = await startEmulatorProcess(['--brain', 'speech', ...EMULATOR_TRIGGERS], 60_000, 'openai-realtime');
}, 120_000);
// Registered before the server fixture, so it runs after the server has stopped.
afterAll(async () => {
  await emulator?.stop();
});
const fx = useSpokenCallFixture(() => ({ ...openAIEmulatorSettings(emulator), TOOLS: '', ...tools.env }));

emulatedToolCallTests('openai', fx, tools);
