/**
 * Reads the instructions of deploy/Dockerfile that the deploy tests check and replay: per stage its
 * ARG defaults, ENV, WORKDIR, RUN lines, USER, EXPOSE, STOPSIGNAL, VOLUME, HEALTHCHECK and CMD.
 * Only the forms that file uses: `KEY=value` ENV and ARG, exec-form (JSON array) CMD, HEALTHCHECK
 * and VOLUME, backslash line continuations, `#` comment lines.
 */

/** One stage (`FROM … AS name`) of a Dockerfile. */
export interface DockerStage {
  name: string;
  from: string;
  /** ARG defaults declared in the stage (an ARG without a default maps to ''). */
  args: Record<string, string>;
  /** ENV values as written (no `${…}` substitution). */
  env: Record<string, string>;
  workdir?: string;
  /** RUN commands (shell form), in order. */
  runs: string[];
  user?: string;
  expose: string[];
  stopSignal?: string;
  volumes: string[];
  /** The HEALTHCHECK's exec-form command, without its options. */
  healthcheck?: string[];
  /** The exec-form CMD. */
  cmd?: string[];
}

/** A Dockerfile's stages by name; `build` and `runtime` are the two deploy/Dockerfile has. */
export interface ParsedDockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: DockerStage[];
  build: DockerStage;
  runtime: DockerStage;
}

/** `KEY=value KEY2="value 2"` → entries (double quotes removed). */
function assignments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|\S*))?/g)) out[m[1]] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
  return out;
}

/** Parses a JSON array argument (exec form). @throws Error when it is not one. */
function execForm(text: string, what: string): string[] {
  const value = JSON.parse(text) as unknown;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`${what}: expected the exec form (a JSON array of strings), got ${text}`);
  return value;
}

/**
 * Parses `text` (a Dockerfile).
 * @throws Error for an instruction outside a stage (other than ARG), or a CMD/HEALTHCHECK/VOLUME not in exec form,
 *   or when the `build` or `runtime` stage is missing.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ').split('\n');
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    const [, instruction, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const op = instruction.toUpperCase();
    if (op === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest)!;
      stages.push({ name: name ?? String(stages.length), from, args: {}, env: {}, runs: [], expose: [], volumes: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (op === 'ARG') Object.assign(globalArgs, assignments(rest));
      else throw new Error(`${op} before the first FROM`);
      continue;
    }
    if (op === 'ARG') Object.assign(stage.args, assignments(rest));
    else if (op === 'ENV') Object.assign(stage.env, assignments(rest));
    else if (op === 'WORKDIR') stage.workdir = rest;
    else if (op === 'RUN') stage.runs.push(rest);
    else if (op === 'USER') stage.user = rest;
    else if (op === 'EXPOSE') stage.expose.push(...rest.split(/\s+/));
    else if (op === 'STOPSIGNAL') stage.stopSignal = rest;
    else if (op === 'VOLUME') stage.volumes.push(...execForm(rest, 'VOLUME'));
    else if (op === 'CMD') stage.cmd = execForm(rest, 'CMD');
    else if (op === 'HEALTHCHECK') stage.healthcheck = execForm(rest.replace(/^(--\S+\s+)*CMD\s+/, ''), 'HEALTHCHECK');
  }
  const byName = (name: string) => {
    const s = stages.find((st) => st.name === name);
    if (!s) throw new Error(`no stage named ${name}`);
    return s;
  };
  return { globalArgs, stages, build: byName('build'), runtime: byName('runtime') };
}
