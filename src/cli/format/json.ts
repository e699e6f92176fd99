/**
 * JSON helpers for output that must match docker's byte for byte: `inspect` re-indents the
 * daemon's raw JSON with Go's json.Indent (four spaces, escapes and number spelling kept as
 * the daemon wrote them), and `--format json` compacts it.
 */

/**
 * Go's `json.Indent(dst, src, prefix, indent)`: re-indents valid JSON text without
 * re-encoding strings or numbers; empty objects and arrays stay `{}` / `[]`.
 */
export function indentJson(src: string, indent = '    ', prefix = ''): string {
  let out = '';
  let depth = 0;
  let needIndent = false; // a value follows an opening bracket
  const newline = () => '\n' + prefix + indent.repeat(depth);
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      out += newline();
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
      continue;
    }
    switch (c) {
      case '{':
      case '[':
        needIndent = true;
        out += c;
        break;
      case ',':
        out += c + newline();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) {
          // An empty object or array stays on one line.
          needIndent = false;
        } else {
          depth--;
          out += newline();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** Go's `json.Compact`: the same JSON text with insignificant whitespace removed. */
export function compactJson(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}
