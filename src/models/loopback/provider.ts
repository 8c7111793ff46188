/** The loopback provider's descriptor (registry entry): no settings, echo, always installed. */
import { defineProvider } from '../provider.js';
import { LOOPBACK_CAPABILITIES, loopbackModel } from './model.js';

/** Loopback: `auto`'s last resort, and offered beside any configured model. */
export const loopbackProvider = defineProvider({
  id: 'loopback',
  summary: 'echo',
  settings: {},
  auto: { when: 'always' },
  offeredAlongside: true,
  capabilities: () => ({ ...LOOPBACK_CAPABILITIES, maxSessionMs: Infinity }),
  create: async () => ({ model: loopbackModel() }),
});
