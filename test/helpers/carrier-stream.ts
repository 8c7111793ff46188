/**
 * The carrier's first step for tests that open media sockets by hand (hostile or malformed
 * streams): ask the answer webhook where to connect, as Twilio and Vonage do, and use what it says
 * (the stream URL, Twilio's `<Parameter>`s for `start.customParameters`, the NCCO's `uri`). Works
 * whether or not the server hands out per-call stream tokens. (Honest calls use `src/sim`.)
 */

/** Where a Twilio stream connects and the custom parameters its `start` carries. */
export async function twilioStream(baseUrl: string, callSid: string): Promise<{ url: string; parameters: Record<string, string> }> {
  const res = await fetch(`${baseUrl}/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ CallSid: callSid, From: '+15550100000', To: '+15550100001' }).toString() });
  const twiml = await res.text();
  const url = /<Stream\b[^>]*\burl="([^"]*)"/.exec(twiml)?.[1];
  if (!res.ok || !url) throw new Error(`the Twilio answer webhook answered ${res.status}: ${twiml.slice(0, 200)}`);
  const parameters: Record<string, string> = {};
  for (const m of twiml.matchAll(/<Parameter\s+name="([^"]*)"\s+value="([^"]*)"\s*\/>/g)) parameters[m[1]] = m[2].replace(/&amp;/g, '&');
  return { url: url.replace(/&amp;/g, '&'), parameters };
}

/** The websocket `uri` of the NCCO Vonage's answer URL returns for call `uuid`. */
export async function vonageStreamUrl(baseUrl: string, uuid: string): Promise<string> {
  const res = await fetch(`${baseUrl}/vonage/answer?${new URLSearchParams({ uuid, from: '447700900000', to: '447700900001' })}`);
  const ncco = (await res.json()) as Array<{ endpoint?: Array<{ type?: string; uri?: string }> }>;
  const uri = ncco.flatMap((a) => a.endpoint ?? []).find((e) => e.type === 'websocket')?.uri;
  if (!res.ok || !uri) throw new Error(`the Vonage answer webhook answered ${res.status}: ${JSON.stringify(ncco).slice(0, 200)}`);
  return uri;
}
