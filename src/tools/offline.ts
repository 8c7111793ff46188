/**
 * Offline phrases of a tool (`offline` in `TOOLS_FILE`) as the field a `ToolSpec` carries for
 * the local model's rule responder. Pure.
 */
import type { ToolSpec } from '../models/model.js';
import type { OfflineTrigger } from './tools-file.js';

/** `{ offline }` for a tool spec when phrases are declared, else `{}`. */
export function offlineOf(trigger: OfflineTrigger | undefined): Pick<ToolSpec, 'offline'> {
  return trigger ? { offline: { phrases: trigger.phrases, arguments: trigger.arguments } } : {};
}
