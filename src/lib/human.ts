/**
 * Human-readable durations and sizes as Docker prints them (shared by the engine's status text
 * and progress messages and the CLI). Go's formatting rules are followed exactly, including its
 * quirks (`%.3g` turns 999.6 MB into `1e+03MB`), because output is compared with docker's.
 */

/**
 * go-units `HumanDuration`: `Less than a second`, `3 seconds`, `About a minute`,
 * `2 hours`, `5 days`, … Docker appends ` ago` for CREATED columns.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * Go's `fmt.Sprintf("%.<prec>g", x)` for finite, non-negative numbers: at most `prec`
 * significant digits, trailing zeros removed, exponent form when the exponent is below -4
 * or at least `prec`. Rounding is half-to-even on the exact binary value, as Go does.
 */
export function goFormatG(x: number, prec: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  if (x === 0) return '0';
  const neg = x < 0;
  // toExponential(60) is exact for the magnitudes we print (sizes below 1000 after scaling),
  // so ties can be detected and rounded to even like Go's strconv.
  const [mant, expPart] = Math.abs(x).toExponential(60).split('e') as [string, string];
  let digits = mant.replace('.', '').split('').map(Number);
  let exp = Number(expPart);
  const kept = digits.slice(0, prec);
  const rest = digits.slice(prec);
  const first = rest[0] ?? 0;
  const restNonZero = rest.slice(1).some((d) => d !== 0);
  const roundUp = first > 5 || (first === 5 && (restNonZero || (kept[kept.length - 1]! % 2 === 1)));
  if (roundUp) {
    let i = kept.length - 1;
    while (i >= 0) {
      if (kept[i]! < 9) {
        kept[i]!++;
        break;
      }
      kept[i] = 0;
      i--;
    }
    if (i < 0) {
      kept.unshift(1);
      kept.pop();
      exp++;
    }
  }
  digits = kept;
  while (digits.length > 1 && digits[digits.length - 1] === 0) digits.pop();
  let out: string;
  if (exp < -4 || exp >= prec) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1).join('')}` : `${digits[0]}`;
    const e = Math.abs(exp);
    out = `${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits.join('')}`;
  } else {
    const intPart = digits.slice(0, exp + 1);
    while (intPart.length < exp + 1) intPart.push(0);
    const frac = digits.slice(exp + 1);
    out = intPart.join('') + (frac.length ? `.${frac.join('')}` : '');
  }
  return neg ? `-${out}` : out;
}

/** go-units `HumanSizeWithPrecision`: decimal units (1 kB = 1000 B), e.g. `4.26MB`. */
export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return goFormatG(size, precision) + DECIMAL_UNITS[i];
}
