/**
 * Reads `.env` from the working directory into the environment before any command runs.
 * Variables already set in the environment win over the file. Parsing is Node's own
 * (`util.parseEnv`, Node ≥ 20.12: `KEY=value` lines, `#` comments, quoted values).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/** What `applyDotEnv` did. */
export interface DotEnvResult {
  /** The file read, or undefined when there is none. */
  file?: string;
  /** Keys taken from the file. */
  applied: string[];
  /** Keys in the file that the environment already set (the environment wins). */
  overridden: string[];
}

/**
 * Applies `dir/.env` to `env` (keys not already set).
 * @throws Error naming the file when it exists but cannot be read.
 */
export function applyDotEnv(dir: string, env: NodeJS.ProcessEnv): DotEnvResult {
  const file = path.join(dir, '.env');
  if (!fs.existsSync(file)) return { applied: [], overridden: [] };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const applied: string[] = [];
  const overridden: string[] = [];
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (value === undefined) continue;
    if (env[key] !== undefined) overridden.push(key);
    else {
      env[key] = value;
      applied.push(key);
    }
  }
  return { file, applied, overridden };
}
