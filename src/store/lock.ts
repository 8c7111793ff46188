/**
 * An exclusive lock on a data directory: a lock file created with O_EXCL holding the owner's pid.
 * PGlite has no lock of its own, and two processes on one data directory corrupt it; with this,
 * the second refuses with a clear error. A lock left by a process that is gone (a crash, SIGKILL)
 * is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The lock file's name inside the data directory. */
export const LOCK_FILE = 'voicebridge.lock';

/** Thrown when another live process holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dir} is in use by process ${pid} (lock file ${path.join(dir, LOCK_FILE)}): stop that server, or give this one another DATA_DIR (or a DATABASE_URL)`);
  }
}

/** Whether process `pid` exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held lock. */
export interface DataDirLock {
  /** Removes the lock file (only while it still names this process). Idempotent. */
  release(): void;
}

/**
 * Takes the lock of `dir` (created when missing) for this process.
 * @throws DataDirLockedError when a live process (this one included) holds it.
 * @throws the file system's error when the directory cannot be created or written.
 */
export function lockDataDir(dir: string): DataDirLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number.parseInt(readOrEmpty(file), 10);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new DataDirLockedError(dir, pid);
      // Stale (its process is gone) or unreadable: take it over.
      fs.rmSync(file, { force: true });
    }
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      if (readOrEmpty(file).trim() === String(process.pid)) fs.rmSync(file, { force: true });
    },
  };
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
