/**
 * House rules the code's shape must keep (issue 10): no import cycle among src/ modules, caller
 * transports and model sessions never import each other, every timer goes through the injected
 * clock, and files stay small.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = sourceFiles(src);
const rel = (path: string) => relative(src, path).split('\\').join('/');
const code = new Map(files.map((f) => [rel(f), readFileSync(f, 'utf8')]));

/** Relative imports of one module (type-only ones included), as paths under src/. */
function importsOf(file: string): string[] {
  const text = code.get(file)!;
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = rel(resolve(src, dirname(file), m[1]!)).replace(/\.js$/, '.ts');
    if (code.has(target)) out.push(target);
    else if (code.has(target.replace(/\.ts$/, '.mjs'))) out.push(target.replace(/\.ts$/, '.mjs'));
  }
  return out;
}

/** One import cycle, as the chain of modules, or undefined when the graph has none. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the code keeps its shape', () => {
  const graph = new Map([...code.keys()].map((f) => [f, importsOf(f)]));

  it('parses the import graph (sanity: known edges are found, a known cycle is caught)', () => {
    expect(graph.get('server.ts')).toEqual(expect.arrayContaining(['models/compose.ts', 'callers/webrtc/peers.ts']));
    const edges = [...graph.values()].reduce((n, deps) => n + deps.length, 0);
    expect(edges).toBeGreaterThan(files.length);
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
  });

  it('has no import cycle', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('keeps caller transports and model sessions apart', () => {
    const crossing = [...graph].flatMap(([file, deps]) =>
      deps.filter((d) => (file.startsWith('callers/') && d.startsWith('models/')) || (file.startsWith('models/') && d.startsWith('callers/'))).map((d) => `${file} → ${d}`),
    );
    expect(crossing).toEqual([]);
  });

  it('runs every timer through the injected clock', () => {
    const raw = [...code].flatMap(([file, text]) =>
      file === 'core/clock.ts'
        ? []
        : text
            .split('\n')
            .map((line, i) => ({ line: line.replace(/\/\/.*$|^\s*\*.*$/, ''), at: `${file}:${i + 1}` }))
            .filter(({ line }) => /(^|[^.\w])(setTimeout|setInterval)\s*\(/.test(line))
            .map(({ at }) => at),
    );
    expect(raw).toEqual([]);
  });

  it('keeps every source file under ~400 lines', () => {
    const long = [...code].filter(([, text]) => text.split('\n').length > 420).map(([file, text]) => `${file}: ${text.split('\n').length}`);
    expect(long).toEqual([]);
  });
});
