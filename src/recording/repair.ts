/**
 * Recordings left unfinished by a process that died mid-call (SIGKILL, a crash, power loss): their
 * header still says "size unknown" (`MAX_WAV_DATA_BYTES`, as `WavFileWriter` writes it while a
 * file grows). `unfinishedDataBytes` (pure) tells such a header apart and gives the size to write
 * in; `repairUnfinished` patches every such file in a folder, at start-up, before any call records.
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { DATA_SIZE_OFFSET, MAX_WAV_DATA_BYTES, PCM16_WAV_HEADER_BYTES, wavSizePatches } from '../audio/wav.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * The `data` size an unfinished recording should state: the whole sample frames after its 44-byte
 * header, bytes; undefined when `header` is not one of ours left unfinished (another file, or one
 * already finalized).
 * @param header the file's first 44 bytes (or fewer, when the file is shorter).
 * @param fileBytes the file's length, bytes.
 */
export function unfinishedDataBytes(header: Buffer, fileBytes: number): number | undefined {
  if (header.length < PCM16_WAV_HEADER_BYTES) return undefined;
  if (header.toString('ascii', 0, 4) !== 'RIFF' || header.toString('ascii', 8, 12) !== 'WAVE' || header.toString('ascii', 36, 40) !== 'data') return undefined;
  if (header.readUInt32LE(DATA_SIZE_OFFSET) !== MAX_WAV_DATA_BYTES) return undefined;
  const blockAlign = Math.max(1, header.readUInt16LE(32));
  const body = Math.min(Math.max(0, fileBytes - PCM16_WAV_HEADER_BYTES), MAX_WAV_DATA_BYTES);
  return body - (body % blockAlign);
}

/**
 * Finalizes every unfinished recording (`*.wav`) in `dir`: writes its sizes in. A missing folder is
 * nothing to do; a file that cannot be read or patched is logged and skipped. Never rejects.
 * @returns how many files were repaired.
 */
export async function repairUnfinished(dir: string, logger: Logger): Promise<number> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.wav'));
  } catch {
    return 0;
  }
  let repaired = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const fh = await open(file, 'r+');
      try {
        const header = Buffer.alloc(PCM16_WAV_HEADER_BYTES);
        const { bytesRead } = await fh.read(header, 0, header.length, 0);
        const dataBytes = unfinishedDataBytes(header.subarray(0, bytesRead), (await fh.stat()).size);
        if (dataBytes === undefined) continue;
        for (const p of wavSizePatches(dataBytes)) await fh.write(p.bytes, 0, p.bytes.length, p.offset);
        await fh.truncate(PCM16_WAV_HEADER_BYTES + dataBytes);
        repaired++;
      } finally {
        await fh.close();
      }
    } catch (err) {
      logger.warn({ file: name, err: errorMessage(err) }, 'an unfinished call recording could not be repaired');
    }
  }
  if (repaired) logger.info({ repaired }, 'finalized call recordings left unfinished by an earlier run');
  return repaired;
}
