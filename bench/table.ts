/** Prints benchmark results: one JSON line per run as it finishes, then a Markdown table for the README. */

/** A column: its header and how to show a row's value. */
export type Column<R> = [header: string, cell: (row: R) => string | number];

/** Runs `runOnce` for each count in order, printing each result as JSON, then prints the table. */
export async function runAndTabulate<R>(counts: readonly number[], runOnce: (n: number) => Promise<R>, columns: readonly Column<R>[]): Promise<R[]> {
  const results: R[] = [];
  for (const n of counts) {
    const r = await runOnce(n);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  console.log(`\n| ${columns.map(([h]) => h).join(' | ')} |`);
  console.log(`|${columns.map(() => '---').join('|')}|`);
  for (const r of results) console.log(`| ${columns.map(([, cell]) => cell(r)).join(' | ')} |`);
  return results;
}
