/**
 * Image builds and commit with the real docker CLI (legacy builder, DOCKER_BUILDKIT=0), docker-py
 * and berth: a multi-stage build checked by running the image and inspecting it, cache hits
 * (no container created) and misses from the changed COPY on, a failing RUN that leaves nothing,
 * Docker's parse errors with line numbers, a refused `../` source, .dockerignore, and `commit`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';

const DOCKERFILE = `# escape=\\
ARG BASE=busybox
FROM \${BASE} AS build
ARG GREETING=hello
ENV APP_HOME=/app \\
    MODE=test
WORKDIR $APP_HOME
COPY src/ ./src/
COPY data.txt .
ADD bundle.tgz /opt/bundle/
RUN echo "$GREETING from $MODE" > greeting.txt && cat src/a.txt >> greeting.txt

FROM busybox
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group
COPY --from=build --chown=app:app /app /srv/app
COPY --from=build /opt/bundle /opt/bundle
WORKDIR /srv/app
USER app
LABEL org.example.name="demo app" version=1
EXPOSE 8080/tcp 53/udp
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat greeting.txt; id -un; pwd; cat /opt/bundle/inner/f.txt"]
`;

describe('build and commit', () => {
  const d = new TestDaemon('build');
  const ctx = path.join(d.dir, 'ctx');
  const docker = (args: string[], input?: string) => d.docker(args, input);
  const ok = (args: string[], input?: string) => {
    const r = docker(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const build = (args: string[], dir = ctx) => ok(['build', ...args, dir]);
  const cached = (out: string) => out.split('\n').filter((l) => l.startsWith('Step ') || l === ' ---> Using cache');
  const stepsUsingCache = (out: string): string[] => {
    const lines = cached(out);
    return lines.filter((l, i) => l.startsWith('Step ') && lines[i + 1] === ' ---> Using cache').map((l) => l.replace(/^Step \d+\/\d+ : /, ''));
  };
  const imageCount = () => ok(['images', '-aq']).split('\n').filter(Boolean).length;

  before(async () => {
    fs.mkdirSync(path.join(ctx, 'src'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'src/a.txt'), 'source a\n');
    fs.writeFileSync(path.join(ctx, 'data.txt'), 'data v1\n');
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
    const bundle = path.join(d.dir, 'bundle');
    fs.mkdirSync(path.join(bundle, 'inner'), { recursive: true });
    fs.writeFileSync(path.join(bundle, 'inner/f.txt'), 'from the tarball\n');
    assert.equal(spawnSync('tar', ['-C', bundle, '-czf', path.join(ctx, 'bundle.tgz'), '.']).status, 0);
    await d.start();
  });
  after(() => d.stop());

  it('builds a multi-stage Dockerfile with the docker CLI; the image runs and inspects as written', () => {
    const out = build(['-t', 'demo:1', '-t', 'demo:latest', '--build-arg', 'GREETING=hi']);
    assert.match(out, /^Step 1\/19 : ARG BASE=busybox$/m);
    assert.match(out, /^Step 2\/19 : FROM \$\{BASE\} AS build$/m);
    assert.match(out, /^ ---> Running in [0-9a-f]{12}$/m);
    assert.match(out, /^ ---> Removed intermediate container [0-9a-f]{12}$/m);
    assert.match(out, /^Successfully built [0-9a-f]{12}\nSuccessfully tagged demo:1\nSuccessfully tagged demo:latest\n$/m);
    const run = ok(['run', '--rm', 'demo:1']);
    assert.equal(run, 'hi from test\nsource a\napp\n/srv/app\nfrom the tarball\n');
    const [img] = JSON.parse(ok(['inspect', 'demo:1']));
    assert.equal(img.Config.User, 'app');
    assert.equal(img.Config.WorkingDir, '/srv/app');
    assert.deepEqual(img.Config.Labels, { 'org.example.name': 'demo app', version: '1' });
    assert.deepEqual(Object.keys(img.Config.ExposedPorts).sort(), ['53/udp', '8080/tcp']);
    assert.deepEqual(img.Config.Entrypoint, ['/bin/sh', '-c']);
    // ENV of the first stage stays there; build args never reach the image.
    assert.ok(!img.Config.Env.some((e: string) => e.startsWith('MODE=') || e.startsWith('GREETING=')));
    assert.equal(ok(['run', '--rm', '--entrypoint', 'stat', 'demo:1', '-c', '%U:%G', '/srv/app/greeting.txt']).trim(), 'app:app');
    assert.deepEqual(ok(['ps', '-aq']), '');
  });

  it('rebuilds from the cache without creating a container; a touched file still hits', () => {
    const before = (Date.now() / 1000).toFixed(3);
    fs.utimesSync(path.join(ctx, 'data.txt'), new Date(), new Date());
    const out = build(['-t', 'demo:1', '--build-arg', 'GREETING=hi']);
    const after = (Date.now() / 1000 + 0.5).toFixed(3);
    assert.doesNotMatch(out, /Running in/);
    assert.equal(stepsUsingCache(out).length, 16); // every step but the two ARGs before/at FROM and the FROMs
    const first = JSON.parse(ok(['inspect', 'demo:latest']))[0].Id;
    assert.equal(JSON.parse(ok(['inspect', 'demo:1']))[0].Id, first);
    const events = ok(['events', '--since', before, '--until', after, '--filter', 'type=container', '--format', '{{.Action}}']);
    assert.equal(events, '');
  });

  it('misses from the COPY of a changed file on, in its stage and the stages that copy from it', () => {
    fs.writeFileSync(path.join(ctx, 'data.txt'), 'data v2\n');
    const out = build(['-t', 'demo:2', '--build-arg', 'GREETING=hi']);
    assert.deepEqual(stepsUsingCache(out), ['ARG GREETING=hello', 'ENV APP_HOME=/app     MODE=test', 'WORKDIR $APP_HOME', 'COPY src/ ./src/', "RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group"]);
    assert.match(out, /Running in/);
    const noCache = build(['--no-cache', '-q']);
    assert.match(noCache, /^sha256:[0-9a-f]{64}\n$/);
  });

  it('fails a RUN with its output and exit code, leaving no image and no container', () => {
    const dir = path.join(d.dir, 'failing');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo partial > /f && echo about to fail && exit 3\n');
    const images = imageCount();
    const r = docker(['build', '-t', 'broken', dir]);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /about to fail/);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo partial > \/f && echo about to fail && exit 3' returned a non-zero code: 3/);
    assert.equal(ok(['ps', '-aq']), '');
    assert.equal(imageCount(), images);
    assert.notEqual(docker(['inspect', 'broken']).code, 0);
  });

  it('reports unknown instructions and malformed lines with their line, and refuses ../ sources', () => {
    const dir = path.join(d.dir, 'bad');
    fs.mkdirSync(dir);
    const attempt = (dockerfile: string) => {
      fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
      return docker(['build', dir]);
    };
    let r = attempt('FROM busybox\n\nFOO bar\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: dockerfile parse error on line 3: unknown instruction: FOO/);
    r = attempt('FROM busybox\nENV A=1 B\n');
    assert.match(r.stderr, /failed to parse Dockerfile: dockerfile parse error on line 2: Syntax error - can't find = in "B"/);
    r = attempt('FROM busybox\nCOPY ../outside /x\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /COPY failed: forbidden path outside the build context: \.\.\/outside/);
  });

  it('leaves out what .dockerignore names, keeping re-included files', () => {
    const dir = path.join(d.dir, 'ignore');
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    for (const f of ['keep.txt', 'secret.env', 'logs/a.log', 'logs/important.log']) fs.writeFileSync(path.join(dir, f), f);
    fs.writeFileSync(path.join(dir, '.dockerignore'), '*.env\nlogs\n!logs/important.log\nDockerfile\n');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx/\nCMD ["find", "/ctx", "-type", "f"]\n');
    build(['-t', 'ignored'], dir);
    const files = ok(['run', '--rm', 'ignored']).split('\n').filter(Boolean).sort();
    // As with Docker, .dockerignore itself stays unless it names itself; the Dockerfile it names goes.
    assert.deepEqual(files, ['/ctx/.dockerignore', '/ctx/keep.txt', '/ctx/logs/important.log']);
  });

  it('builds with docker-py, which sees the stream, the image and a failure', () => {
    const r = d.python(`
import docker, io, json
c = docker.from_env()
img, logs = c.images.build(path=${JSON.stringify(ctx)}, tag='pyimg:1', buildargs={'GREETING': 'py'}, rm=True)
text = ''.join(l.get('stream', '') for l in logs)
assert 'Successfully tagged pyimg:1' in text, text
assert img.tags == ['pyimg:1'], img.tags
out = c.containers.run('pyimg:1', remove=True).decode()
assert out.startswith('py from test'), out
try:
    c.images.build(fileobj=io.BytesIO(b'FROM busybox\\nRUN exit 5\\n'), rm=True)
    raise SystemExit('no error')
except docker.errors.BuildError as e:
    assert "returned a non-zero code: 5" in e.msg, e.msg
assert c.containers.list(all=True) == [], c.containers.list(all=True)
print('ok')
`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });

  it('builds with berth: several tags, a target stage, labels, -q, a Dockerfile from outside and from stdin', () => {
    let r = d.berth(['build', '-t', 'bt:a', '-t', 'bt:b', '--target', 'build', '--label', 'who=berth', '--build-arg', 'GREETING=yo', ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Sending build context to Docker daemon {2}\S+B\nStep 1\/10 : ARG BASE=busybox\n/);
    assert.match(r.stdout, /Successfully tagged bt:a\nSuccessfully tagged bt:b\n$/);
    assert.equal(ok(['run', '--rm', 'bt:a', 'cat', '/app/greeting.txt']), 'yo from test\nsource a\n');
    assert.equal(ok(['inspect', '-f', '{{.Config.Labels.who}}', 'bt:b']).trim(), 'berth');
    r = d.berth(['build', '-q', '--target', 'build', '--label', 'who=berth', '--build-arg', 'GREETING=yo', ctx]);
    assert.equal(r.stdout, `${JSON.parse(ok(['inspect', 'bt:a']))[0].Id}\n`);
    const outside = path.join(d.dir, 'Outside.dockerfile');
    fs.writeFileSync(outside, 'FROM busybox\nCOPY data.txt /\nCMD ["cat", "/data.txt"]\n');
    assert.equal(d.berth(['build', '-f', outside, '-t', 'outside', ctx]).code, 0);
    assert.equal(ok(['run', '--rm', 'outside']), 'data v2\n');
    r = d.berth(['build', '-t', 'stdin', '-'], 'FROM busybox\nCMD ["echo", "from stdin"]\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ok(['run', '--rm', 'stdin']), 'from stdin\n');
    r = d.berth(['build', '-'], 'FROM busybox\nRUN exit 9\n');
    assert.equal(r.code, 9);
  });

  it('commits a container with changes, author and message, with docker, docker-py and berth', () => {
    ok(['run', '--name', 'work', 'busybox', 'sh', '-c', 'echo changed > /changed && rm /bin/vi']);
    const id = ok(['commit', '-a', 'Tester <t@example.com>', '-m', 'my change', '-c', 'CMD ["cat", "/changed"]', '-c', 'ENV STAGE=committed', 'work', 'committed:v1']).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(['run', '--rm', 'committed:v1']), 'changed\n');
    assert.notEqual(docker(['run', '--rm', 'committed:v1', 'ls', '/bin/vi']).code, 0);
    const [img] = JSON.parse(ok(['inspect', 'committed:v1']));
    assert.deepEqual([img.Author, img.Comment, img.RootFS.Layers.length], ['Tester <t@example.com>', 'my change', 2]);
    assert.ok(img.Config.Env.includes('STAGE=committed'));
    ok(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo live > /live; sleep 60']);
    const r = d.python(`
import docker, time
c = docker.from_env()
ctr = c.containers.get('live')
for _ in range(50):
    if ctr.exec_run('cat /live').output == b'live\\n': break
    time.sleep(0.1)
img = ctr.commit(repository='pycommit', tag='t', changes=['CMD ["cat", "/live"]'])
print(c.containers.run('pycommit:t', remove=True).decode().strip())
`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'live');
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'live']).trim(), 'running');
    const b = d.berth(['commit', '-c', 'USER nobody', 'live', 'bcommit']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(ok(['inspect', '-f', '{{.Config.User}}', 'bcommit']).trim(), 'nobody');
    assert.match(d.berth(['commit', '-c', 'RUN x', 'live']).stderr, /RUN is not a valid change command/);
    ok(['rm', '-f', 'live', 'work']);
  });
});
