#!/usr/bin/env node
/**
 * The `voicebridge` command.
 *   voicebridge [serve] [--port N] [--host H] [--model auto|local|loopback]
 *   voicebridge call --url http://HOST:PORT --via twilio|vonage|ws|pcm --in speech.wav --out reply.wav
 *                    [--barge-in-at SECONDS] [--transcript out.json]
 */
import { parseArgs } from 'node:util';
import { runCall } from './call.js';
import { runServe } from './serve.js';

const USAGE = `usage:
  voicebridge [serve] [--port N] [--host ADDR] [--model auto|local|loopback]
  voicebridge call --url http://HOST:PORT --via twilio|vonage|ws|pcm --in speech.wav --out reply.wav
                   [--barge-in-at SECONDS] [--transcript transcript.json]`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
  const rest = command === argv[0] ? argv.slice(1) : argv;
  if (command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'serve') {
    const { values } = parseArgs({ args: rest, options: { port: { type: 'string' }, host: { type: 'string' }, model: { type: 'string' } } });
    return runServe({ port: values.port, host: values.host, model: values.model });
  }
  if (command === 'call') {
    const { values } = parseArgs({
      args: rest,
      options: {
        url: { type: 'string' }, via: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' },
        'barge-in-at': { type: 'string' }, transcript: { type: 'string' },
      },
    });
    return runCall(values);
  }
  console.error(`unknown command "${command}"\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
