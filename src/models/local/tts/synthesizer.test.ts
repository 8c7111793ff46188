import { describe, expect, it } from 'vitest';
import { FakeWorker } from '../../../../test/fakes/fake-worker.js';
import { FlitePool } from './synthesizer.js';

/** A one-worker pool over fake workers; `workers` lists every worker it started, in order. */
function pool(): { tts: FlitePool; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  const tts = new FlitePool(1, 'slt', () => {
    const w = new FakeWorker();
    workers.push(w);
    return w.asWorker();
  });
  return { tts, workers };
}

describe('FlitePool', () => {
  it('replaces a worker that dies after starting: its sentence fails, the next is synthesized by the new one', async () => {
    const { tts, workers } = pool();
    workers[0].start();
    const first = tts.synthesize('Hello there.');
    expect(workers[0].posted).toHaveLength(1);
    workers[0].crash();
    await expect(first).rejects.toThrow('flite worker exited');
    expect(workers).toHaveLength(2);
    expect(tts.replacedWorkers).toBe(1);
    const second = tts.synthesize('Still here.');
    workers[1].start();
    expect(workers[1].posted).toEqual([{ type: 'synth', id: 2, text: 'Still here.', voice: 'slt' }]);
    workers[1].answer(2, 320);
    expect((await second).length).toBe(320);
  });

  it('does not restart a worker that never started (a missing package), and warmUp says why', async () => {
    const { tts, workers } = pool();
    workers[0].emit('message', { type: 'fatal', error: 'no flite' });
    await expect(tts.warmUp()).rejects.toThrow('flite worker failed to start: no flite');
    workers[0].crash();
    expect(workers).toHaveLength(1);
  });

  it('drops a queued sentence whose reply was cut, so the shared worker goes on to the next call', async () => {
    const { tts, workers } = pool();
    workers[0].start();
    const cut = new AbortController();
    const sentence1 = tts.synthesize('One.', 'slt', cut.signal);
    const sentence2 = tts.synthesize('Two.', 'slt', cut.signal);
    const sentence3 = tts.synthesize('Three.', 'slt', cut.signal);
    const otherCall = tts.synthesize('Another call.');
    cut.abort(new Error('reply cut'));
    await expect(sentence2).rejects.toThrow('reply cut');
    await expect(sentence3).rejects.toThrow('reply cut');
    // The sentence already being synthesized finishes; the other call's is next.
    workers[0].answer(1);
    expect((await sentence1).length).toBe(160);
    expect(workers[0].posted.map((m) => m.text)).toEqual(['One.', 'Another call.']);
    workers[0].answer(4);
    expect((await otherCall).length).toBe(160);
  });

  it('refuses a sentence whose reply was already cut, and fails what is queued at close', async () => {
    const { tts, workers } = pool();
    const cut = new AbortController();
    cut.abort(new Error('reply cut'));
    await expect(tts.synthesize('Late.', 'slt', cut.signal)).rejects.toThrow('reply cut');
    const queued = tts.synthesize('Queued before the worker started.');
    await tts.close();
    await expect(queued).rejects.toThrow('closed');
    expect(workers).toHaveLength(1);
    await expect(tts.synthesize('After close.')).rejects.toThrow('closed');
  });

  it('fails queued and new sentences, instead of holding them forever, when the replacement worker cannot start', async () => {
    const { tts, workers } = pool();
    workers[0].start();
    const first = tts.synthesize('One.');
    workers[0].emit('error', new Error('out of memory'));
    workers[0].crash();
    await expect(first).rejects.toThrow('flite worker exited: out of memory');
    const queued = tts.synthesize('Two.');
    workers[1].emit('message', { type: 'fatal', error: 'no wasm' });
    await expect(queued).rejects.toThrow(/no flite worker is running \(flite worker failed to start: no wasm\)/);
    await expect(tts.synthesize('Three.')).rejects.toThrow('no flite worker is running (flite worker failed to start: no wasm)');
    expect(workers).toHaveLength(2);
  });

  it('does not throw out of the exit handler when a replacement worker cannot even be created', async () => {
    const workers: FakeWorker[] = [];
    const tts = new FlitePool(1, 'slt', () => {
      if (workers.length > 0) throw new Error('too many threads');
      const w = new FakeWorker();
      workers.push(w);
      return w.asWorker();
    });
    workers[0].start();
    const first = tts.synthesize('One.');
    const queued = tts.synthesize('Two.');
    expect(() => workers[0].crash()).not.toThrow();
    await expect(first).rejects.toThrow('flite worker exited');
    await expect(queued).rejects.toThrow('no flite worker is running (a replacement flite worker could not start: too many threads)');
    await expect(tts.synthesize('Three.')).rejects.toThrow('a replacement flite worker could not start: too many threads');
    expect(tts.replacedWorkers).toBe(0);
  });
});
