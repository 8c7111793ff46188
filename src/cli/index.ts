#!/usr/bin/env node
/**
 * The `voicebridge` command: `serve` (default), `call`, `emulate nova-sonic|openai-realtime`, `sign-url`; `--version`;
 * `COMMAND --help`. Reads `.env` from the working directory first (the environment wins).
 * Exits the process when the command is done: worker and native threads must not keep it alive.
 */
import { parseArgs } from 'node:util';
import { runCall } from './call.js';
import { applyDotEnv } from './dotenv.js';
import { runEmulate } from './emulate.js';
import { helpFor, USAGE } from './help.js';
import { runServe } from './serve.js';
import { runSignUrl } from './sign-url.js';
import { packageVersion } from './version.js';

const COMMANDS = ['serve', 'call', 'emulate', 'sign-url'];

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    console.log(packageVersion());
    return 0;
  }
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
  const rest = command === argv[0] ? argv.slice(1) : argv;
  if (command === 'help') {
    console.log(helpFor(rest[0] ?? ''));
    return 0;
  }
  if (!COMMANDS.includes(command)) {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(argv[0] === command ? helpFor(command) : USAGE);
    return 0;
  }
  applyDotEnv(process.cwd(), process.env);
  // The AWS SDK prints a multi-line process warning whenever a client starts on Node < 22 (its
  // releases after January 2027 will need Node 22). This package pins its SDK version, which runs on
  // Node 20, so the notice says nothing about this install; "false" in the environment shows it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
        credentials: { type: 'string' }, 'no-verify': { type: 'boolean' }, region: { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-cert': { type: 'string' },
        'api-key': { type: 'string', multiple: true }, pace: { type: 'string' }, 'session-limit-s': { type: 'string' },
      },
    });
    return runEmulate(positionals[0], values, process.env);
  }
  if (command === 'sign-url') {
    const { values } = parseArgs({ args: rest, options: { route: { type: 'string' }, ttl: { type: 'string' }, url: { type: 'string' } } });
    return runSignUrl(values, process.env, { stdout: process.stdout, stderr: process.stderr });
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' }, via: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' },
      'barge-in-at': { type: 'string' }, 'reply-timeout': { type: 'string' }, transcript: { type: 'string' },
    },
  });
  return runCall(values);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`voicebridge: ${err instanceof Error ? err.message : err}`);
    // A bad flag (node:util parseArgs) is a usage error: exit 2 and point at the help.
    const usage = String((err as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS');
    if (usage) console.error('(voicebridge COMMAND --help lists the options)');
    process.exit(usage ? 2 : 1);
  },
);
