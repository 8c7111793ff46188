/**
 * What the call layer gives tools and the hand-off: the `end_call` tool (the model says goodbye,
 * its reply is heard, then the carrier hangs up) and a `Call` as the hand-off service sees it.
 */
import type { TransferableCall } from '../handoff/service.js';
import type { Tool } from '../tools/registry.js';
import type { Call } from './call.js';

/** Name of the tool that ends the call after the model's goodbye. */
export const END_CALL_TOOL_NAME = 'end_call';

/**
 * The `end_call` tool: marks the calling call to end once the model's next reply has been played
 * out (or after `END_CALL_GRACE_MS`, see `watchdog.ts`).
 * @param findCall the live call with this id.
 */
export function endCallTool(findCall: (callId: string) => Call | undefined): Tool {
  return {
    name: END_CALL_TOOL_NAME,
    description: 'Ends the phone call. Use it when the caller says goodbye or the conversation is clearly over. Say a short goodbye in your reply; the call ends once it has been heard.',
    inputSchema: { type: 'object', properties: {}, required: [] },
    async run(_args, ctx) {
      const call = findCall(ctx.callId);
      if (!call || call.isOver()) throw new Error('the call is no longer live');
      call.endAfterReply();
      return { ending: true };
    },
  };
}

/** `call` as the hand-off service (`src/handoff/service.ts`) sees it. */
export function transferableCall(call: Call): TransferableCall {
  return {
    id: call.id,
    kind: call.kind,
    carrierCallId: call.startInfo.carrierCallId,
    streamId: call.startInfo.streamId,
    get transcript() {
      return call.transcript;
    },
    get isOver() {
      return call.isOver();
    },
    handOff: (handoff) => call.handOff(handoff),
    holdHandOff: (handoff, moved) => call.holdHandOff(handoff, moved),
  };
}
