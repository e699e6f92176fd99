/**
 * The project's `.env` file and `env_file:` files: `KEY=VALUE` lines, `#` comments, optional
 * `export `, single quotes (literal), double quotes (with `\n` escapes) and unquoted values
 * with trailing ` # comment`s removed, as Compose reads them.
 */
import { readFileSync } from 'node:fs';
import { invalidArgument } from '../lib/errors.js';

/** Parses dotenv text; `file` names it in errors. A bare `KEY` takes its value from `lookup`. */
export function parseDotenv(text: string, file: string, lookup: (k: string) => string | undefined = () => undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, n) => {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw invalidArgument(`failed to read ${file}: line ${n + 1}: unexpected character in variable name "${key}"`);
    if (eq < 0) {
      const v = lookup(key);
      if (v !== undefined) out[key] = v;
      return;
    }
    let v = line.slice(eq + 1).trim();
    if (v.startsWith("'") && v.lastIndexOf("'") > 0) v = v.slice(1, v.lastIndexOf("'"));
    else if (v.startsWith('"') && v.lastIndexOf('"') > 0) v = v.slice(1, v.lastIndexOf('"')).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    else v = v.replace(/\s+#.*$/, '');
    out[key] = v;
  });
  return out;
}

/** Reads a dotenv file, or undefined when it does not exist. */
export function readDotenv(file: string, lookup?: (k: string) => string | undefined): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalidArgument(`failed to read ${file}: ${(e as Error).message}`);
  }
  return parseDotenv(text, file, lookup);
}
