/**
 * Go's text/tabwriter, as the docker CLI configures it for tables
 * (`tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`): cells end at a tab, a column is as wide
 * as its widest cell plus 3 spaces (never less than 10), and the last cell of a line is
 * not padded. Column blocks are computed exactly as Go does, so lines with fewer cells
 * split a column into independent blocks.
 */

/** Options of a tab writer; the defaults are docker's table settings. */
export interface TabwriterOptions {
  minwidth?: number;
  padding?: number;
}

interface Cell {
  text: string;
  width: number;
}

function displayWidth(s: string): number {
  // Go's tabwriter counts runes (utf8.RuneCount), not display columns.
  return [...s].length;
}

/**
 * Aligns tab-separated text into columns. `text` is the whole table, newline-terminated
 * lines with `\t` between cells; the result has the same lines, padded with spaces.
 */
export function tabwrite(text: string, opts: TabwriterOptions = {}): string {
  const minwidth = opts.minwidth ?? 10;
  const padding = opts.padding ?? 3;
  const rawLines = text.split('\n');
  // Every line but the last is newline-terminated; the last (possibly empty) one is not.
  const lines: Cell[][] = rawLines.map((line) => line.split('\t').map((t) => ({ text: t, width: displayWidth(t) })));
  const widths: number[] = [];
  let out = '';

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((c, j) => {
        out += c.text;
        if (j < widths.length && j < line.length - 1) out += ' '.repeat(Math.max(0, widths[j]! - c.width));
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      // A cell exists in this column: print the lines above, then size this column block.
      writeLines(line0, cur);
      line0 = cur;
      let width = minwidth;
      for (; cur < line1; cur++) {
        const line = lines[cur]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + padding);
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
