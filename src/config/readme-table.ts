/** Where the generated configuration table sits in the README: between two HTML comment markers. */

/** Marker before the table. */
export const TABLE_START = '<!-- config-table: generated from the settings by `npm run docs:config`; edit the settings, not this table -->';
/** Marker after the table. */
export const TABLE_END = '<!-- /config-table -->';

/**
 * The generated table's text in `readme` (between the markers), or undefined when a marker is missing.
 */
export function readConfigTable(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + TABLE_START.length, end).trim();
}

/**
 * `readme` with the text between the markers replaced by `table`.
 * @throws Error when a marker is missing.
 */
export function replaceConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README has no configuration table markers (${TABLE_START} … ${TABLE_END})`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
