/**
 * Unit tests for the CLI's human units: docker's size and duration wording (go-units), Go's
 * `%g`, RAMInBytes/ParseCPUs flag values, ellipsis and ID truncation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ellipsis,
  goFormatG,
  humanDuration,
  humanSince,
  humanSize,
  parseCpus,
  parseRamInBytes,
  truncateId,
} from '../../../src/cli/format/units.js';

describe('goFormatG', () => {
  it('formats like Go %.Ng', () => {
    assert.equal(goFormatG(4.26, 3), '4.26');
    assert.equal(goFormatG(4.2, 3), '4.2');
    assert.equal(goFormatG(100, 3), '100');
    assert.equal(goFormatG(1.98234, 3), '1.98');
    assert.equal(goFormatG(0, 3), '0');
    assert.equal(goFormatG(1.982, 4), '1.982');
  });
  it('switches to exponent form like Go (the docker "1e+03MB" quirk)', () => {
    assert.equal(goFormatG(999.6, 3), '1e+03');
    assert.equal(goFormatG(0.00001234, 3), '1.23e-05');
  });
  it('rounds exact ties to even, as Go does', () => {
    assert.equal(goFormatG(1.125, 3), '1.12');
    assert.equal(goFormatG(1.375, 3), '1.38');
  });
});

describe('humanSize (docker decimal units)', () => {
  it('uses decimal units with 3 significant digits for tables', () => {
    assert.equal(humanSize(4_261_000, 3), '4.26MB');
    assert.equal(humanSize(1_982_000, 3), '1.98MB');
    assert.equal(humanSize(0, 3), '0B');
    assert.equal(humanSize(999, 3), '999B');
    assert.equal(humanSize(1000, 3), '1kB');
    assert.equal(humanSize(1_500_000_000, 3), '1.5GB');
    assert.equal(humanSize(123_456_789, 3), '123MB');
  });
  it('uses 4 digits by default (prune totals)', () => {
    assert.equal(humanSize(1_982_345), '1.982MB');
    assert.equal(humanSize(0), '0B');
  });
});

describe('humanDuration (go-units HumanDuration)', () => {
  const s = 1000;
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * s, '1 second'],
    [3 * s, '3 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [120 * s, '2 minutes'],
    [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'],
    [89 * 60 * s, 'About an hour'],
    [90 * 60 * s, '2 hours'],
    [47 * 3600 * s, '47 hours'],
    [48 * 3600 * s, '2 days'],
    [14 * 24 * 3600 * s, '2 weeks'],
    [60 * 24 * 3600 * s, '2 months'],
    [2 * 365 * 24 * 3600 * s, '2 years'],
    [-5 * s, 'Less than a second'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms} ms → ${want}`, () => assert.equal(humanDuration(ms), want));
  }
  it('appends "ago" for CREATED columns', () => {
    assert.equal(humanSince(1_000, 1_000_000 + 3_000), '3 seconds ago');
  });
});

describe('parseRamInBytes (RAMInBytes)', () => {
  it('accepts docker memory syntax', () => {
    assert.equal(parseRamInBytes('512m'), 512 * 1024 * 1024);
    assert.equal(parseRamInBytes('1g'), 1024 ** 3);
    assert.equal(parseRamInBytes('1.5GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseRamInBytes('100kb'), 102_400);
    assert.equal(parseRamInBytes('10b'), 10);
    assert.equal(parseRamInBytes('4096'), 4096);
    assert.equal(parseRamInBytes('32 MB'), 32 * 1024 * 1024);
  });
  it('rejects bad sizes with go-units wording', () => {
    assert.throws(() => parseRamInBytes('12zz'), { message: "invalid suffix: 'zz'" });
    assert.throws(() => parseRamInBytes('abc'), { message: "invalid size: 'abc'" });
    assert.throws(() => parseRamInBytes('-1'), { message: "invalid size: '-1'" });
    assert.throws(() => parseRamInBytes('1bb'), { message: "invalid suffix: 'bb'" });
    assert.throws(() => parseRamInBytes('1kx'), { message: "invalid suffix: 'kx'" });
  });
});

describe('parseCpus (ParseCPUs)', () => {
  it('turns rationals into NanoCpus', () => {
    assert.equal(parseCpus('1.5'), 1_500_000_000);
    assert.equal(parseCpus('2'), 2_000_000_000);
    assert.equal(parseCpus('3/2'), 1_500_000_000);
    assert.equal(parseCpus('.25'), 250_000_000);
  });
  it('rejects garbage and too much precision', () => {
    assert.throws(() => parseCpus('abc'), { message: 'failed to parse abc as a rational number' });
    assert.throws(() => parseCpus('0.0000000001'), { message: 'value is too precise' });
  });
});

describe('ellipsis and truncateId', () => {
  it('cuts to the display width with …', () => {
    assert.equal(ellipsis("echo 'a very long command'", 20), "echo 'a very long c…");
    assert.equal(ellipsis('short', 20), 'short');
    assert.equal(ellipsis('12345678901234567890', 20), '12345678901234567890');
    assert.equal(ellipsis('日本語日本語日本語日本語', 10), '日本語日…');
  });
  it('truncates IDs to 12 characters without the algorithm', () => {
    assert.equal(truncateId('sha256:f6073d7e08516c68b3f8410d489657b66657559fa67247adc6fd03e2cb917f9c'), 'f6073d7e0851');
    assert.equal(truncateId('f6073d7e08516c68b3f8410d'), 'f6073d7e0851');
    assert.equal(truncateId('<missing>'), '<missing>');
  });
});
