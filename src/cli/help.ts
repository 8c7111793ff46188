/** Usage text of `voicebridge` and of each command (`voicebridge COMMAND --help`). */
import { providerRegistry } from '../models/registry.js';

/** Help of `voicebridge serve`. */
export const SERVE_HELP = `usage: voicebridge [serve] [options]

Starts the voice-agent server.

options:
  --port N          port to listen on (PORT, default 8080; 0 picks a free one)
  --host ADDR       address to bind (HOST, default 0.0.0.0: all interfaces)
  --model NAME      ${['auto', ...[...providerRegistry.ids].sort()].join(' | ')} (VOICEBRIDGE_MODEL, default auto:
                    local when its packages are installed, else loopback)
  -h, --help        this help

Every other setting is an environment variable (see the README's configuration table); a .env
file in the working directory is read too, and variables already set win over it.`;

/** Help of `voicebridge call`. */
export const CALL_HELP = `usage: voicebridge call --url http://HOST:PORT --via twilio|vonage|ws|pcm --in speech.wav --out reply.wav [options]

Plays a WAV file (any rate, mono or stereo) into a running server as a caller over a real carrier
protocol at real-time pace, saves what the caller heard, and prints the transcript and timings.
Phone calls ask the server's answer webhook where to stream first, as the carrier does, signed
with TWILIO_AUTH_TOKEN / VONAGE_SIGNATURE_SECRET when those are set here. The call's record
(end reason, transcript) is read from the server's /calls, with ADMIN_TOKEN when that is set here.
Exits 1 when the call ended in an error, brought no reply or was refused, 2 for bad options.

options:
  --url URL               the server, e.g. http://127.0.0.1:8080
  --via PROTOCOL          twilio (8 kHz mu-law) | vonage (16 kHz L16) | ws (browser JSON) | pcm (raw 16 kHz)
  --in FILE               the caller's audio (WAV)
  --out FILE              where to save what the caller heard (WAV; checked writable before calling)
  --barge-in-at SECONDS   talk over the reply at this time (repeats the recording's first 1.5 s)
  --reply-timeout SECONDS longest wait for a reply after the recording ends (default 20)
  --transcript FILE       also save the report as JSON
  -h, --help              this help`;

/** Help of `voicebridge sign-url`. */
export const SIGN_URL_HELP = `usage: voicebridge sign-url --route ws|client|webrtc [--ttl SECONDS] [--url https://HOST]

Prints a presigned URL that opens one stream on a caller route, once, within --ttl seconds: for a
bridge or device that should not hold a long-lived credential. /ws and /client take it as a
WebSocket URL; POST an SDP offer to the webrtc one. Signed with STREAM_TOKEN_SECRET, which must be
the server's (set it for both); an authenticated POST /streams asks the server instead.

options:
  --route ROUTE      ws (raw PCM) | client (browser JSON) | webrtc (WebRTC offer)
  --ttl SECONDS      how long it stays valid (default STREAM_TOKEN_TTL_MS; at most 3600)
  --url URL          the server's public base URL (default PUBLIC_URL)
  -h, --help         this help`;

/** Help of `voicebridge emulate`. */
export const EMULATE_HELP = `usage: voicebridge emulate nova-sonic [options]

Serves Amazon Bedrock's Nova Sonic bidirectional stream locally (HTTP/2, event-stream framing,
SigV4 checks), for testing without AWS.

options:
  --port N                       port (default 8443)
  --host ADDR                    address (default 127.0.0.1)
  --brain speech|echo|timed      speech: recognise, answer and speak (offline pipeline); echo: cheap echo;
                                 timed: 2 s of speech every 6 s in 100 ms chunks (load benchmarks)
  --reply-pace realtime|burst    timed brain: stream each reply at real-time pace, or all at once
  --session-limit-ms MS          stream limit (default 480000, Bedrock's 8 minutes)
  --idle-timeout-ms MS           end a stream after this long without speech or typed text
                                 (default as Bedrock: 295000 on Nova 2, 175000 on Nova Sonic v1)
  --credentials ID:SECRET[,…]    accepted access keys (default test:test)
  --region NAME                  region served; credentials scoped to another are refused (default us-east-1)
  --no-verify                    skip SigV4 checks
  --tool-trigger 'REGEX=tool[:{"json":"args"}]'   call a tool when the caller's words match (repeatable)
  --fault KIND[:AFTER_MS][@STREAM]                inject a fault (repeatable); kinds: exception, reset,
                                                  end, goaway, stall, slowStart
  --tls-key key.pem --tls-cert cert.pem           serve TLS
  -h, --help                     this help

usage: voicebridge emulate openai-realtime [options]

Serves the OpenAI Realtime API (GA) WebSocket locally at /v1/realtime?model=…, for testing
OpenAI Realtime clients without the cloud.

options:
  --port N                       port (default 8444)
  --host ADDR                    address (default 127.0.0.1)
  --api-key KEY                  an accepted API key (repeatable; default test)
  --brain speech|echo|timed      as above
  --pace realtime|burst          stream replies in 100 ms chunks at real-time pace (default), or as
                                 fast as they are made
  --session-limit-s S            session limit (default 3600, OpenAI's 60 minutes); then an error
                                 event session_expired and close 1001
  --tool-trigger 'REGEX=tool[:{"json":"args"}]'   call a function when the caller's words match (repeatable)
  --fault KIND[:AFTER_MS][@SESSION]               inject a fault (repeatable); kinds: close (1011),
                                                  stall, slowStart, error (an error event mid-response)
  --tls-key key.pem --tls-cert cert.pem           serve wss://`;

/** Overview: `voicebridge --help`. */
export const USAGE = `usage: voicebridge [COMMAND] [options]

commands:
  serve      start the server (the default command)
  call       play a WAV file into a running server as a phone or browser caller
  emulate    run the Amazon Nova Sonic or OpenAI Realtime emulator (emulate nova-sonic|openai-realtime)
  sign-url   print a one-time presigned URL for /ws, /client or /webrtc/offer

  voicebridge COMMAND --help   options of a command
  voicebridge --version        the version

  voicebridge [serve] [--port N] [--host ADDR] [--model ${['auto', ...[...providerRegistry.ids].sort()].join('|')}]
  voicebridge call --url http://HOST:PORT --via twilio|vonage|ws|pcm --in speech.wav --out reply.wav
  voicebridge emulate nova-sonic [--port 8443] [--brain speech|echo|timed] …
  voicebridge emulate openai-realtime [--port 8444] [--tls-key K --tls-cert C] [--api-key KEY] …
  voicebridge sign-url --route ws [--ttl 60] [--url https://HOST]`;

/** Help for `command`, or the overview for an unknown one. */
export function helpFor(command: string): string {
  const help: Record<string, string> = { serve: SERVE_HELP, call: CALL_HELP, emulate: EMULATE_HELP, 'sign-url': SIGN_URL_HELP };
  return help[command] ?? USAGE;
}
