#!/usr/bin/env node
/**
 * The `voicebridge` command.
 *   voicebridge [serve] [--port N] [--host H] [--model auto|local|loopback|nova-sonic]
 *   voicebridge emulate nova-sonic [--port N] [--brain speech|echo|timed] [--session-limit-ms MS] …
 *   voicebridge call --url http://HOST:PORT --via twilio|vonage|ws|pcm --in speech.wav --out reply.wav
 *                    [--barge-in-at SECONDS] [--transcript out.json]
 */
import { parseArgs } from 'node:util';
import { runCall } from './call.js';
import { runEmulate } from './emulate.js';
import { runServe } from './serve.js';

const USAGE = `usage:
  voicebridge [serve] [--port N] [--host ADDR] [--model auto|local|loopback|nova-sonic]
  voicebridge call --url http://HOST:PORT --via twilio|vonage|ws|pcm --in speech.wav --out reply.wav
                   [--barge-in-at SECONDS] [--transcript transcript.json]
  voicebridge emulate nova-sonic [--port 8443] [--host 127.0.0.1] [--brain speech|echo|timed]
                   [--reply-pace realtime|burst]  (timed brain: 2 s of speech every 6 s, 100 ms chunks)
                   [--session-limit-ms MS] [--idle-timeout-ms MS] [--credentials ID:SECRET[,…]]
                   [--tool-trigger 'REGEX=tool_name[:{"json":"args"}]']… [--fault KIND[:AFTER_MS][@STREAM]]…
                   [--no-verify] [--tls-key key.pem --tls-cert cert.pem]
     fault kinds: exception, reset, end, goaway, stall, slowStart`;

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
  if (command === 'emulate') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, brain: { type: 'string' }, 'reply-pace': { type: 'string' },
        'session-limit-ms': { type: 'string' }, 'idle-timeout-ms': { type: 'string' },
        'tool-trigger': { type: 'string', multiple: true }, fault: { type: 'string', multiple: true },
        credentials: { type: 'string' }, 'no-verify': { type: 'boolean' }, 'tls-key': { type: 'string' }, 'tls-cert': { type: 'string' },
      },
    });
    return runEmulate(positionals[0], values);
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
