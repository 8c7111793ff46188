/**
 * Writes the README's configuration table from the settings (the core ones in
 * src/config/config.ts and each provider's in its provider.ts): `npm run docs:config`.
 * With `--check`, exits 1 when the README's table is not the generated one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../src/config/config.js';
import { replaceConfigTable } from '../src/config/readme-table.js';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const updated = replaceConfigTable(readme, configTable());
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md: the configuration table is out of date (run npm run docs:config)');
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync(path, updated);
  console.log('README.md: configuration table updated');
}
