/** Variable substitution in Dockerfile words, per Docker's shell lexer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShellLex } from '../../../src/engine/build/shell-lex.js';
import { envLookup, expandInstruction } from '../../../src/engine/build/expand.js';
import { parseStages } from '../../../src/engine/build/instructions.js';
import { parseDockerfile } from '../../../src/engine/build/parser.js';

const env = envLookup(['A=x', 'EMPTY=', 'P=foo/bar/baz.tar.gz', 'SP=a b']);
const word = (w: string, lex = new ShellLex()) => lex.processWord(w, env);
const words = (w: string) => new ShellLex().processWords(w, env);

describe('substitution', () => {
  it('expands $V and ${V}, leaves unknown ones empty, keeps a lone $', () => {
    assert.equal(word('$A-${A}_$NOPE.'), 'x-x_.');
    assert.equal(word('cost: $ 5'), 'cost: $ 5');
    assert.equal(word('${A}${A}'), 'xx');
  });

  it('handles quotes and escapes like sh', () => {
    assert.equal(word("'$A' \"$A\" \\$A"), '$A x $A');
    assert.equal(word('"a \\"b\\" \\n"'), 'a "b" \\n');
    assert.equal(word('a\\ b'), 'a b');
    assert.equal(word('`$A`', new ShellLex('`')), '$A');
  });

  it('applies :- - :+ + :? ? with the empty/unset distinction', () => {
    assert.deepEqual(['${NOPE:-d}', '${EMPTY:-d}', '${EMPTY-d}', '${A:-d}'].map((w) => word(w)), ['d', 'd', '', 'x']);
    assert.deepEqual(['${NOPE:+y}', '${EMPTY:+y}', '${EMPTY+y}', '${A:+y}'].map((w) => word(w)), ['', '', 'y', 'y']);
    assert.throws(() => word('${NOPE:?is required}'), /failed to process "\$\{NOPE:\?is required\}": NOPE: is required/);
    assert.throws(() => word('${EMPTY:?}'), /EMPTY: is not allowed to be empty/);
    assert.equal(word('${EMPTY?}'), '');
    assert.equal(word('${NOPE:-$A/deep}'), 'x/deep');
  });

  it('strips prefixes and suffixes and replaces patterns', () => {
    assert.deepEqual(['${P#*/}', '${P##*/}', '${P%.*}', '${P%%.*}'].map((w) => word(w)), ['bar/baz.tar.gz', 'baz.tar.gz', 'foo/bar/baz.tar', 'foo/bar/baz']);
    assert.deepEqual(['${P/o/0}', '${P//o/0}', '${P/#/}'].map((w) => word(w)), ['f0o/bar/baz.tar.gz', 'f00/bar/baz.tar.gz', 'foo/bar/baz.tar.gz']);
  });

  it('reports bad syntax', () => {
    assert.throws(() => word('${A'), /missing '}'/);
    assert.throws(() => word('${}'), /bad substitution/);
    assert.throws(() => word('${A:#x}'), /unsupported modifier \(:#\) in substitution/);
    assert.throws(() => word('"open'), /looking for matching double-quote/);
  });

  it('splits words after substitution (EXPOSE), quotes keep spaces', () => {
    assert.deepEqual(words('$SP "c d"'), ['a', 'b', 'c d']);
    assert.deepEqual(words(''), []);
  });

  it('substitutes only where Docker does, per instruction', () => {
    const { stages } = parseStages(parseDockerfile('FROM a\nENV K_$A=$A\nRUN echo $A\nCOPY $A/src ${A}dest/\nEXPOSE $SP\nLABEL l=$A\n').nodes);
    const lex = new ShellLex();
    const out = stages[0]!.commands.map((c) => expandInstruction(c, lex, env)) as unknown as Array<Record<string, unknown>>;
    assert.deepEqual(out[0]!.pairs, [{ key: 'K_x', value: 'x' }]);
    assert.deepEqual(out[1]!.cmdLine, ['echo $A']);
    assert.deepEqual([out[2]!.sources, out[2]!.dest], [['x/src'], 'xdest/']);
    assert.deepEqual(out[3]!.ports, ['a', 'b']);
    assert.deepEqual(out[4]!.pairs, [{ key: 'l', value: 'x' }]);
  });

  it('lets an image ENV win over a build arg of the same name', () => {
    assert.equal(new ShellLex().processWord('$V', envLookup(['V=env'], ['V=arg', 'W=arg'])), 'env');
    assert.equal(new ShellLex().processWord('$W', envLookup(['V=env'], ['V=arg', 'W=arg'])), 'arg');
  });
});
