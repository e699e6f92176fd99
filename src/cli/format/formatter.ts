/**
 * The `--format` machinery shared by list commands (ps, images, history), after the docker
 * CLI's formatter.Context: a format is `table …`, `json`, or a raw Go template; rows are
 * "contexts" whose fields compute display strings; tables get a header row (the same template
 * run against header names) and are aligned by the tab writer.
 */
import { tabwrite } from './tabwriter.js';
import { HEADER_FUNCS, STRUCT_NAME, Template, TemplateError } from './template.js';

/** Go's formatter.Format keys. */
export const TABLE = 'table';
export const JSON_FORMAT = 'json';

/** Base class of table row contexts: field getters plus a JSON view of all of them. */
export abstract class RowContext {
  /** Names of the fields the JSON view (`--format json`, `{{json .}}`) includes. */
  protected abstract readonly jsonFields: readonly string[];

  /** Go struct name used in template errors (`can't evaluate field X in type …`). */
  abstract get [STRUCT_NAME](): string;

  /** docker's formatter.MarshalJSON: every field, keys sorted. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of [...this.jsonFields].sort()) out[k] = (this as unknown as Record<string, unknown>)[k];
    return out;
  }
}

/** True for `table` formats (`table`, `table {{.ID}}`). */
export function isTable(format: string): boolean {
  return format.startsWith(TABLE);
}

/** Format.templateString: strips `table`, trims spaces, turns literal `\t`/`\n` into tabs/newlines. */
export function templateString(format: string): string {
  if (format === TABLE) return '';
  if (format === JSON_FORMAT) return '{{json .}}';
  let out = format.startsWith(TABLE) ? format.slice(TABLE.length) : format;
  out = out.replace(/^ +| +$/g, '');
  return out.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** Parses a format, wording failures as docker does (`template parsing error: …`). */
export function parseFormat(format: string): Template {
  try {
    return Template.parse(templateString(format));
  } catch (e) {
    throw new TemplateError(`template parsing error: ${(e as Error).message}`);
  }
}

/**
 * Renders `rows` with `format`. For tables, `header` maps field names to column titles and
 * the output is tab-aligned; otherwise each row is the template's output plus a newline.
 */
export function renderRows(format: string, rows: readonly object[], header: Record<string, string>): string {
  const tmpl = parseFormat(format);
  let body = '';
  for (const row of rows) {
    try {
      body += tmpl.execute(row) + '\n';
    } catch (e) {
      throw new TemplateError(`template parsing error: ${(e as Error).message}`);
    }
  }
  if (!isTable(format)) return body;
  let head: string;
  try {
    head = tmpl.execute(headerContext(header), HEADER_FUNCS);
  } catch {
    // docker ignores header errors (the header is best effort), and so do we.
    head = '';
  }
  return tabwrite(`${head}\n${body}`);
}

/**
 * SubHeaderContext.Label: the title of a `{{.Label "com.example-key"}}` column is the label
 * key's last dot-separated part with `-` and `_` as spaces (`example key`).
 */
function headerLabel(name: unknown): string {
  return (String(name).split('.').pop() ?? '').replace(/[-_]/g, ' ');
}

/** The header "row": field names resolve to titles, `.Label "x"` as docker titles it. */
function headerContext(header: Record<string, string>): Record<string, unknown> {
  return new Proxy(header, {
    get: (target, key) => (typeof key === 'string' && key in target ? target[key] : key === 'Label' ? headerLabel : undefined),
    has: () => true,
    getOwnPropertyDescriptor: (target, key) =>
      typeof key === 'string'
        ? { value: key in target ? target[key] : '', enumerable: true, configurable: true, writable: false }
        : undefined,
  });
}
