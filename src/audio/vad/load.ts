/** Loads the best VAD this install has: Silero v5 on onnxruntime-node, else the energy VAD. */
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import { energyVadFactory } from './energy.js';
import { loadSileroVad } from './silero.js';
import type { VadModelFactory } from './types.js';

/** Loads the best available VAD: Silero v5 when onnxruntime-node is installed, else energy (warned). */
export async function loadVad(logger: Logger): Promise<VadModelFactory> {
  try {
    const silero = await loadSileroVad();
    if (silero) return silero;
    logger.warn('onnxruntime-node is not installed: using the energy VAD (fooled by music and DTMF)');
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'Silero VAD failed to load: using the energy VAD');
  }
  return energyVadFactory();
}

