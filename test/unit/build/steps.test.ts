/** Build args, the layer cache's rules, the output stream, config steps' history text, and a container layer as a tar. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { RecordingHost } from '../../../src/host/fake.js';
import { BuildArgs } from '../../../src/engine/build/buildargs.js';
import { LayerCache, sameStep } from '../../../src/engine/build/cache.js';
import { applyConfigStep, goDuration, nopCmd, type ConfigState } from '../../../src/engine/build/config-steps.js';
import { BuildOutput, StepFailure } from '../../../src/engine/build/output.js';
import { parseStages } from '../../../src/engine/build/instructions.js';
import { parseDockerfile } from '../../../src/engine/build/parser.js';
import { packUpper } from '../../../src/engine/snapshots/layer-tar.js';

describe('build args', () => {
  it('follows Docker: declared args only, --build-arg over defaults, meta defaults, proxies predefined', () => {
    const global = new BuildArgs({ A: 'given', HTTP_PROXY: 'http://p', UNUSED: 'x', NOVAL: null });
    global.addArg('V', '1');
    global.addMetaArg('V', '1');
    const st = global.forStage();
    assert.deepEqual([...st.allAllowed()], [['HTTP_PROXY', 'http://p']]);
    st.addArg('A', 'default');
    st.addArg('V', undefined); // redeclared without a value: the meta default
    st.addArg('NOVAL', undefined);
    assert.deepEqual(Object.fromEntries(st.allAllowed()), { A: 'given', V: '1', HTTP_PROXY: 'http://p' });
    assert.deepEqual(st.filterAllowed(['A=env']).sort(), ['HTTP_PROXY=http://p', 'V=1']);
    assert.equal(st.isReferencedOrNotBuiltin('HTTP_PROXY'), false);
    global.mergeReferenced(st);
    assert.deepEqual(global.unused(), ['UNUSED']);
  });
});

describe('layer cache', () => {
  it('compares recorded steps and stops looking after the first miss of a stage', () => {
    const step = { Cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV A=1'], Env: ['A=1'], Labels: { b: '2', a: '1' } };
    assert.ok(sameStep({ ...step, Labels: { a: '1', b: '2' } }, step));
    assert.ok(!sameStep({ ...step, Env: ['A=2'] }, step));
    assert.ok(!sameStep(undefined, step));
    const known = new Map([['p1', 'c1']]);
    const cache = new LayerCache({ cachedChild: (parent) => known.get(parent) }, false);
    assert.equal(cache.probe('p1', step), 'c1');
    assert.equal(cache.probe('nope', step), undefined);
    assert.equal(cache.probe('p1', step), undefined, 'busted for the rest of the stage');
    cache.reset();
    assert.equal(cache.probe('p1', step), 'c1');
    assert.equal(new LayerCache({ cachedChild: () => 'x' }, true).probe('p1', step), undefined);
  });
});

describe('config steps', () => {
  it('records steps as Docker does in the history', () => {
    const s: ConfigState = { config: { Env: ['PATH=/bin'] }, cmdSet: false, maintainer: '' };
    const steps = parseStages(parseDockerfile('FROM x\nCMD echo hi\nENTRYPOINT ["/init"]\nHEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/\nVOLUME /a /b\nWORKDIR sub\n').nodes).stages[0]!.commands;
    const texts = steps.map((i) => applyConfigStep(s, i));
    assert.deepEqual(texts.map((t) => t.comment), ['CMD ["/bin/sh" "-c" "echo hi"]', 'ENTRYPOINT ["/init"]', 'HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/"] "5m0s" "3s" "0s" "0s" \'\\x00\'}', 'VOLUME [/a /b]', 'WORKDIR /sub']);
    assert.deepEqual(s.config.Cmd, ['/bin/sh', '-c', 'echo hi'], 'a CMD of the same stage survives ENTRYPOINT');
    assert.deepEqual(nopCmd(s.config, 'ENV A=1'), ['/bin/sh', '-c', '#(nop) ', 'ENV A=1']);
    assert.deepEqual(nopCmd(s.config, 'WORKDIR /sub', true), ['/bin/sh', '-c', '#(nop) WORKDIR /sub']);
    assert.deepEqual([goDuration(90e9), goDuration(1.5e9), goDuration(500e6), goDuration(3600e9)], ['1m30s', '1.5s', '500ms', '1h0m0s']);
  });
});

/** A ServerResponse stand-in that records what is written. */
function fakeRes() {
  const r = { status: 0, chunks: [] as string[], destroyed: false, writeHead(s: number) { r.status = s; }, write(c: string) { r.chunks.push(c); return true; } };
  return r;
}

describe('build output', () => {
  it('streams messages, and reports a late error in the stream with its code', () => {
    const res = fakeRes();
    const out = new BuildOutput(res as never, false, true);
    assert.equal(out.fail(new Error('early')), false, 'nothing sent: an HTTP error instead');
    out.text('Step 1/1 : RUN exit 3\n');
    out.imageId('sha256:x');
    assert.equal(out.fail(new StepFailure('The command returned a non-zero code: 3', 3)), true);
    assert.deepEqual(res.chunks.map((c) => JSON.parse(c)), [
      { stream: 'Step 1/1 : RUN exit 3\n' },
      { aux: { ID: 'sha256:x' } },
      { errorDetail: { code: 3, message: 'The command returned a non-zero code: 3' }, error: 'The command returned a non-zero code: 3' },
    ]);
  });

  it('with q holds text back and ends with the ID alone, or with the text before an error', () => {
    const ok = fakeRes();
    const out = new BuildOutput(ok as never, true, true);
    out.text('Step 1/1 : FROM busybox\n');
    out.done('sha256:abc');
    assert.deepEqual(ok.chunks.map((c) => JSON.parse(c)), [{ stream: 'sha256:abc\n' }]);
    const bad = fakeRes();
    const failing = new BuildOutput(bad as never, true, false);
    failing.text('Step 1/1 : RUN false\n');
    failing.fail(new Error('boom'));
    assert.deepEqual(bad.chunks.map((c) => JSON.parse(c)), [{ stream: 'Step 1/1 : RUN false\n' }, { errorDetail: { message: 'boom' }, error: 'boom' }]);
  });
});

describe('container layer as a tar', () => {
  it('names entries without ./, leaves out runtime paths, marks opaque directories, and keeps symlinks as links', async () => {
    const upper = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-upper-'));
    try {
      await fs.mkdir(path.join(upper, 'etc'));
      await fs.writeFile(path.join(upper, 'etc/hosts'), 'runtime');
      await fs.writeFile(path.join(upper, 'etc/app.conf'), 'conf');
      await fs.mkdir(path.join(upper, 'data'));
      await fs.symlink('/etc/shadow', path.join(upper, 'link'));
      const host = new RecordingHost();
      host.runResults.set('getfattr', { code: 0, stdout: `# file: ${path.join(upper, 'data')}\ntrusted.overlay.opaque="y"\n`, stderr: '' });
      const extract = tar.extract();
      const names: string[] = [];
      const done = (async () => {
        for await (const e of extract) {
          names.push(`${e.header.name}${e.header.type === 'symlink' ? ` -> ${e.header.linkname}` : ''}`);
          e.resume();
        }
      })();
      packUpper(upper, host, (p) => p === '/etc/hosts').pipe(extract);
      await done;
      assert.deepEqual(names, ['data/', 'data/.wh..wh..opq', 'etc/', 'etc/app.conf', 'link -> /etc/shadow']);
    } finally {
      await fs.rm(upper, { recursive: true, force: true });
    }
  });
});
