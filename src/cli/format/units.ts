/**
 * Human units for the `berth` CLI: sizes, durations, CPU counts and IDs, written the way the
 * docker CLI writes and reads them (docker/go-units, stringid, formatter.Ellipsis).
 *
 * Table output is compared byte for byte with docker's, so the rules here follow Go's
 * formatting exactly, including its quirks (`%.3g` turns 999.6 MB into `1e+03MB`).
 */

import { goFormatG, humanDuration, humanSize } from '../../lib/human.js';

export { goFormatG, humanDuration, humanSize };

/** `<duration> ago` for a Unix-seconds timestamp, as docker's CREATED column. */
export function humanSince(unixSeconds: number, now = Date.now()): string {
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}

const BINARY_MULT: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const GO_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * go-units `RAMInBytes`: `512m`, `1g`, `100kb`, `1.5GiB`, plain bytes. Throws an Error whose
 * message is go-units' own (`invalid size: '…'`, `invalid suffix: '…'`), which the flag layer
 * wraps as docker does.
 */
export function parseRamInBytes(sizeStr: string): number {
  let sep = -1;
  for (let i = sizeStr.length - 1; i >= 0; i--) {
    if ('01234567890. '.includes(sizeStr[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${sizeStr}'`);
  let num: string;
  let sfx: string;
  if (sizeStr[sep] !== ' ') {
    num = sizeStr.slice(0, sep + 1);
    sfx = sizeStr.slice(sep + 1);
  } else {
    num = sizeStr.slice(0, sep);
    sfx = sizeStr.slice(sep + 1);
  }
  if (!GO_FLOAT.test(num)) throw new Error(`strconv.ParseFloat: parsing "${num}": invalid syntax`);
  let size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = () => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = BINARY_MULT[sfx[0]!];
  if (mul === undefined) throw bad();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size);
}

/** docker's `ParseCPUs`: a rational number of CPUs (`1.5`, `3/2`) to NanoCpus. */
export function parseCpus(value: string): number {
  const fail = () => new Error(`failed to parse ${value} as a rational number`);
  let num: bigint;
  let den: bigint;
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(value);
  const dec = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
  if (frac) {
    num = BigInt(frac[1]!);
    den = BigInt(frac[2]!);
    if (den === 0n) throw fail();
  } else if (dec && (dec[2] || dec[3])) {
    const fracDigits = dec[3] ?? '';
    num = BigInt((dec[1] === '-' ? '-' : '') + (dec[2] || '0') + fracDigits);
    den = 10n ** BigInt(fracDigits.length);
    const e = Number(dec[4] ?? 0);
    if (e > 0) num *= 10n ** BigInt(e);
    else if (e < 0) den *= 10n ** BigInt(-e);
  } else {
    throw fail();
  }
  const nano = num * 1_000_000_000n;
  if (nano % den !== 0n) throw new Error('value is too precise');
  return Number(nano / den);
}

/** stringid.TruncateID: drop an algorithm prefix such as `sha256:` and keep 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.length > 12 ? bare.slice(0, 12) : bare;
}

/** Display width of one code point: 2 for East Asian wide/fullwidth characters, else 1. */
function charWidth(cp: number): number {
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

/** formatter.Ellipsis: fit `s` into `max` display columns, ending in `…` when cut. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const rs = [...s];
  if (max === 1) return rs[0] ?? '';
  const ascii = Buffer.byteLength(s) === rs.length;
  if (ascii) return rs.length <= max ? s : rs.slice(0, max - 1).join('') + '…';
  const cumulative: number[] = [];
  let width = 0;
  for (const r of rs) {
    width += charWidth(r.codePointAt(0)!);
    cumulative.push(width);
  }
  if (width <= max) return s;
  for (let i = 0; i < cumulative.length - 1; i++) {
    if (cumulative[i]! <= max - 1 && cumulative[i + 1]! > max - 1) return rs.slice(0, i + 1).join('') + '…';
  }
  return s;
}

/** Go's `time.Time.String()` for a local time: `2006-01-02 15:04:05 -0700 MST`. */
export function goTimeString(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  let zone = 'UTC';
  if (off !== 0) {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(date)
      .find((x) => x.type === 'timeZoneName');
    zone = part?.value ?? `${sign}${p(Math.trunc(abs / 60))}`;
  }
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())} ` +
    `${sign}${p(Math.trunc(abs / 60))}${p(abs % 60)} ${zone}`
  );
}
