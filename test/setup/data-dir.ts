/**
 * Vitest setup (every test file): `DATA_DIR` points at a fresh temp directory for the file, so a
 * server the file starts as a child process (which inherits the environment) keeps its call store
 * there, never in the repository's `./data`; removed after the file. In-process servers get a
 * store injected (`test/fakes/call-store.ts`) or a temp directory of their own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-data-'));
process.env.DATA_DIR = dir;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
