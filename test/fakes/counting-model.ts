/**
 * A speech model that counts the sessions opened through it (wrapping another, by default the
 * loopback echo): tests use it to prove that a refused caller never reached the model.
 */
import { loopbackModel } from '../../src/models/loopback/model.js';
import type { SpeechModel } from '../../src/models/model.js';

/** A model plus the number of sessions it has opened. */
export interface CountingModel extends SpeechModel {
  /** Sessions opened so far. */
  readonly opened: number;
}

/** Wraps `inner` (default: loopback at 16 kHz), counting `open` calls. */
export function countingModel(inner: SpeechModel = loopbackModel()): CountingModel {
  let opened = 0;
  return Object.create(inner, {
    opened: { get: () => opened },
    open: {
      value: (...args: Parameters<SpeechModel['open']>) => {
        opened++;
        return inner.open(...args);
      },
    },
  }) as CountingModel;
}
