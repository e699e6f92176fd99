/** The Dockerfile parser and instruction checks: lines, continuations, directives, forms, heredocs, errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../../../src/lib/errors.js';
import { parseDockerfile, type Node } from '../../../src/engine/build/parser.js';
import { parseStages, type Instruction } from '../../../src/engine/build/instructions.js';
import { applyChanges } from '../../../src/engine/build/changes.js';

const nodes = (text: string) => parseDockerfile(text).nodes;
const brief = (n: Node) => [n.cmd, n.args, n.json, n.startLine, n.endLine];
const stages = (text: string) => parseStages(nodes(text));
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(isKind(err, 'InvalidArgument'), `not InvalidArgument: ${String(err)}`);
    return (err as Error).message;
  }
  assert.fail('no error');
};

describe('Dockerfile lines', () => {
  it('joins continued lines, drops comments (also inside continuations) and counts lines', () => {
    const n = nodes('# top comment\nFROM busybox\n\nRUN echo a \\\n  # not part of it\n  && echo b\nCMD x\n');
    assert.deepEqual(n.map(brief), [
      ['FROM', ['busybox'], false, 2, 2],
      ['RUN', ['echo a   && echo b'], false, 4, 6],
      ['CMD', ['x'], false, 7, 7],
    ]);
  });

  it('honours # escape=` at the top only, and rejects a bad or repeated directive', () => {
    const n = nodes('# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo b\n');
    assert.deepEqual(n[1]!.args, ['dir c:\\   && echo b']);
    // Not at the top: an ordinary comment, so the backslash continues the line as usual.
    assert.deepEqual(nodes('FROM busybox\n# escape=`\nRUN a \\\n b\n')[1]!.args, ['a  b']);
    assert.match(errorOf(() => nodes('# escape=x\nFROM busybox\n')), /invalid escape token 'x' does not match ` or \\/);
    assert.match(errorOf(() => nodes('# escape=`\n# escape=\\\nFROM busybox\n')), /only one escape parser directive can be used/);
  });

  it('tells exec (JSON) from shell form; a JSON array of non-strings is an error', () => {
    const [run, cmd, ep] = nodes('RUN ["echo", "a b"]\nCMD echo "x y"\nENTRYPOINT [not json\n');
    assert.deepEqual([run!.args, run!.json], [['echo', 'a b'], true]);
    assert.deepEqual([cmd!.args, cmd!.json], [['echo "x y"'], false]);
    assert.deepEqual([ep!.args, ep!.json], [['[not json'], false]);
    assert.match(errorOf(() => nodes('FROM x\nCMD ["a", 1]\n')), /arrays must be comprised of strings only/);
  });

  it('splits ENV/LABEL pairs in both forms, keeping quotes for substitution', () => {
    const [env, old, label] = nodes('ENV A=1 B="two words" C=\nENV OLD the rest of it\nLABEL "a.b"=c\n');
    assert.deepEqual(env!.args, ['A', '1', '=', 'B', '"two words"', '=', 'C', '', '=']);
    assert.deepEqual(old!.args, ['OLD', 'the rest of it', '']);
    assert.deepEqual(label!.args, ['"a.b"', 'c', '=']);
    assert.equal(errorOf(() => nodes('FROM x\nENV A=1 B\n')), 'Syntax error - can\'t find = in "B". Must be of the form: name=value');
    assert.equal(errorOf(() => nodes('FROM x\nENV ONLY\n')), 'ENV must have two arguments');
  });

  it('reads builder flags before the arguments', () => {
    const [copy] = nodes('COPY --from=build --chown="1:2" a b /d/\n');
    assert.deepEqual([copy!.flags, copy!.args], [['--from=build', '--chown=1:2'], ['a', 'b', '/d/']]);
  });

  it('reads heredocs for RUN and COPY, with <<- and quoted (literal) words', () => {
    const [run, copy] = nodes('RUN <<EOF\necho $A\nEOF\nCOPY <<-"END" /f\n\thello\n\tEND\nCMD x\n');
    assert.deepEqual(run!.heredocs, [{ name: 'EOF', fd: 0, chomp: false, expand: true, content: 'echo $A\n' }]);
    assert.deepEqual([run!.startLine, run!.endLine], [1, 3]);
    assert.deepEqual(copy!.heredocs.map((h) => [h.name, h.chomp, h.expand, h.content]), [['END', true, false, '\thello\n']]);
    assert.equal(nodes('RUN <<EOF\nx\nEOF\nCMD x\n')[1]!.startLine, 4);
    assert.equal(errorOf(() => nodes('FROM x\nRUN <<EOF\nnever ends\n')), 'unterminated heredoc');
  });

  it('refuses an empty file', () => {
    assert.equal(errorOf(() => nodes('# only a comment\n\n')), 'file with no instructions');
  });
});

describe('instructions and stages', () => {
  it('collects ARGs before FROM, named stages, and typed commands', () => {
    const { stages: s, metaArgs } = stages('ARG V=1\nFROM busybox:$V AS Build\nRUN echo hi\nFROM scratch\nCOPY --from=build /a /b\nCMD ["/b"]\n');
    assert.deepEqual(metaArgs.map((a) => a.args), [[{ key: 'V', value: '1' }]]);
    assert.deepEqual(s.map((x) => [x.name, x.baseName, x.line, x.commands.length]), [['build', 'busybox:$V', 2, 1], ['', 'scratch', 4, 2]]);
    const run = s[0]!.commands[0] as Instruction & { name: 'run' };
    assert.deepEqual([run.cmdLine, run.prependShell, run.code], [['echo hi'], true, 'RUN echo hi']);
    const copy = s[1]!.commands[0] as Instruction & { name: 'copy' };
    assert.deepEqual([copy.from, copy.sources, copy.dest], ['build', ['/a'], '/b']);
  });

  it('names the line of an unknown or malformed instruction as the legacy builder does', () => {
    assert.equal(errorOf(() => stages('FROM busybox\n\nFOO bar\n')), 'dockerfile parse error on line 3: unknown instruction: FOO (did you mean FROM?)');
    assert.equal(errorOf(() => stages('FROM busybox\nRUNN x\n')), 'dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)');
    assert.equal(errorOf(() => stages('FROM busybox\nXYZZY x\n')), 'dockerfile parse error on line 2: unknown instruction: XYZZY');
    assert.equal(errorOf(() => stages('FROM a b\n')), 'dockerfile parse error on line 1: FROM requires either one or three arguments');
    assert.equal(errorOf(() => stages('FROM a\nCOPY onlyone\n')), 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined');
    assert.equal(errorOf(() => stages('FROM a\nWORKDIR\n')), 'dockerfile parse error on line 2: WORKDIR requires exactly one argument');
    assert.equal(errorOf(() => stages('FROM a\nCOPY --bogus=1 a b\n')), 'dockerfile parse error on line 2: unknown flag: --bogus');
    assert.equal(errorOf(() => stages('FROM a\nSHELL sh -c\n')), 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form');
    assert.equal(errorOf(() => stages('FROM a AS 1x\n')), 'dockerfile parse error on line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols');
    assert.equal(errorOf(() => stages('RUN x\n')), 'dockerfile parse error on line 1: no build stage in current context');
  });

  it('parses HEALTHCHECK options and ONBUILD triggers', () => {
    const [hc, nohc, ob] = stages('FROM a\nHEALTHCHECK --interval=1m30s --retries=3 CMD ["true"]\nHEALTHCHECK NONE\nONBUILD RUN echo hi\n').stages[0]!.commands as Array<Instruction & Record<string, unknown>>;
    assert.deepEqual(hc!.health, { Test: ['CMD', 'true'], Interval: 90e9, Retries: 3 });
    assert.deepEqual(nohc!.health, { Test: ['NONE'] });
    assert.equal(ob!.expression, 'RUN echo hi');
    assert.match(errorOf(() => stages('FROM a\nONBUILD FROM x\n')), /FROM isn't allowed as an ONBUILD trigger/);
  });
});

describe('commit/import changes', () => {
  it('applies config instructions with substitution from the config ENV', () => {
    const c = applyChanges({ Env: ['BASE=/srv'] }, ['ENV APP=$BASE/app', 'WORKDIR ${APP}', 'CMD ["run"]', 'ENTRYPOINT ["/init"]', 'EXPOSE 80 53/udp', 'LABEL "k"="v w"', 'USER ${NOPE:-nobody}', 'STOPSIGNAL SIGINT', 'VOLUME /data']);
    assert.deepEqual(c.Env, ['BASE=/srv', 'APP=/srv/app']);
    assert.equal(c.WorkingDir, '/srv/app');
    assert.deepEqual([c.Cmd, c.Entrypoint], [['run'], ['/init']]);
    assert.deepEqual(Object.keys(c.ExposedPorts!), ['53/udp', '80/tcp']); // sorted, as Docker sorts them
    assert.deepEqual([c.Labels, c.User, c.StopSignal, c.Volumes], [{ k: 'v w' }, 'nobody', 'SIGINT', { '/data': {} }]);
  });

  it('refuses instructions that are not config changes, and bad values', () => {
    assert.equal(errorOf(() => applyChanges({}, ['RUN rm -rf /'])), 'RUN is not a valid change command');
    assert.equal(errorOf(() => applyChanges({}, ['STOPSIGNAL NOPE'])), 'Invalid signal: NOPE');
    assert.equal(errorOf(() => applyChanges({}, ['ENV =x'])), 'ENV names can not be blank');
  });
});
