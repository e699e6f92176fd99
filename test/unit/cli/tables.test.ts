/**
 * Unit tests for the list tables: docker's tab-writer layout, and `ps`, `images`, `history`
 * and `top` rendered from sample Engine API JSON. Expected texts were checked against the
 * real docker CLI 28 printing the same JSON.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite } from '../../../src/cli/format/tabwriter.js';
import { displayablePorts, formatContainers, goQuote, type ContainerSummary } from '../../../src/cli/format/containers.js';
import { formatHistory, formatImages, type ImageSummary } from '../../../src/cli/format/images.js';
import { formatTop, formatDiff } from '../../../src/cli/commands/top-diff.js';

const NOW = 1_700_000_000_000;
const ago = (seconds: number) => NOW / 1000 - seconds;

describe('tabwriter', () => {
  it('pads cells to the widest plus 3, at least 10, last cell unpadded', () => {
    assert.equal(tabwrite('A\tBB\tC\nxxxxxxxxxxxx\ty\tz\n'), 'A              BB        C\nxxxxxxxxxxxx   y         z\n');
  });
  it('splits column blocks at lines with fewer cells, like Go', () => {
    assert.equal(tabwrite('a\tb\nsingle\nlonger-cell\tc\n', { minwidth: 0, padding: 1 }), 'a b\nsingle\nlonger-cell c\n');
  });
  it('counts runes, not bytes', () => {
    assert.equal(tabwrite('é\tx\nab\ty\n', { minwidth: 0, padding: 1 }), 'é  x\nab y\n');
  });
});

const containers: ContainerSummary[] = [
  {
    Id: '09694e32d045d08b83b8f3e7ed153dd7b55ddeb2ee996d89e67a510dc16b1958',
    Names: ['/created'],
    Image: 'busybox',
    ImageID: 'sha256:f6073d7e08516c68b3f8410d489657b66657559fa67247adc6fd03e2cb917f9c',
    Command: "echo 'a very long command line here for truncation'",
    Created: ago(0),
    Ports: [],
    Labels: {},
    State: 'created',
    Status: 'Created',
  },
  {
    Id: '7178839b9a9bc811042a99b61aa1b8d6e44d3dae3116f387b3589560373b8ddf',
    Names: ['/other'],
    Image: 'busybox:latest',
    ImageID: 'sha256:f6073d7e08516c68b3f8410d489657b66657559fa67247adc6fd03e2cb917f9c',
    Command: 'sleep 1000',
    Created: ago(150),
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    ],
    Labels: { c: 'd', a: 'b' },
    State: 'running',
    Status: 'Up 2 minutes',
    SizeRw: 12,
    SizeRootFs: 1_982_000,
  },
  {
    Id: '401ca7dfb5d0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    Names: ['/exited'],
    Image: 'sha256:f6073d7e08516c68b3f8410d489657b66657559fa67247adc6fd03e2cb917f9c',
    ImageID: 'sha256:f6073d7e08516c68b3f8410d489657b66657559fa67247adc6fd03e2cb917f9c',
    Command: "sh -c 'exit 2'",
    Created: ago(7200),
    State: 'exited',
    Status: 'Exited (2) 2 hours ago',
  },
];

describe('ps table', () => {
  it('renders docker’s default columns', () => {
    const want = [
      'CONTAINER ID   IMAGE            COMMAND                  CREATED                  STATUS                   PORTS                                     NAMES',
      '09694e32d045   busybox          "echo \'a very long c…"   Less than a second ago   Created                                                            created',
      '7178839b9a9b   busybox:latest   "sleep 1000"             2 minutes ago            Up 2 minutes             0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   other',
      '401ca7dfb5d0   f6073d7e0851     "sh -c \'exit 2\'"         2 hours ago              Exited (2) 2 hours ago                                             exited',
      '',
    ].join('\n');
    assert.equal(formatContainers(containers, { now: NOW }), want);
  });
  it('prints only IDs with -q and full values with --no-trunc', () => {
    assert.equal(formatContainers(containers, { quiet: true, now: NOW }), '09694e32d045\n7178839b9a9b\n401ca7dfb5d0\n');
    const full = formatContainers(containers.slice(0, 1), { trunc: false, format: '{{.ID}} {{.Command}}', now: NOW });
    assert.equal(full, `${containers[0]!.Id} "echo 'a very long command line here for truncation'"\n`);
  });
  it('adds SIZE with -s and supports templates, labels and json', () => {
    const sized = formatContainers(containers.slice(1, 2), { size: true, now: NOW }).split('\n');
    assert.match(sized[0]!, /NAMES     SIZE$/);
    assert.match(sized[1]!, /other     12B \(virtual 1\.98MB\)$/);
    assert.equal(formatContainers(containers.slice(1, 2), { format: '{{.Names}}|{{.Labels}}|{{.Label "c"}}' }), 'other|a=b,c=d|d\n');
    assert.equal(
      formatContainers(containers.slice(1, 2), { format: 'table {{.ID}}\\t{{.State}}', now: NOW }),
      'CONTAINER ID   STATE\n7178839b9a9b   running\n',
    );
    const json = JSON.parse(formatContainers(containers.slice(1, 2), { format: 'json', now: NOW })) as Record<string, unknown>;
    assert.equal(json['Names'], 'other');
    assert.equal(json['Ports'], '0.0.0.0:8080->80/tcp, [::]:8080->80/tcp');
    assert.deepEqual(Object.keys(json), [...Object.keys(json)].sort());
  });
  it('prints the header even with no containers', () => {
    assert.equal(
      formatContainers([], {}),
      'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
    );
  });
  it('folds port ranges like DisplayablePorts', () => {
    assert.equal(
      displayablePorts([
        { PrivatePort: 9001, Type: 'udp', IP: '127.0.0.1', PublicPort: 9001 },
        { PrivatePort: 9000, Type: 'udp', IP: '127.0.0.1', PublicPort: 9000 },
        { PrivatePort: 53, Type: 'tcp' },
        { PrivatePort: 80, Type: 'tcp', IP: '0.0.0.0', PublicPort: 32768 },
      ]),
      '53/tcp, 127.0.0.1:9000-9001->9000-9001/udp, 0.0.0.0:32768->80/tcp',
    );
  });
  it('quotes commands like strconv.Quote', () => {
    assert.equal(goQuote('a "b"\tc'), '"a \\"b\\"\\tc"');
    assert.equal(goQuote('\u001b'), '"\\x1b"');
  });
});

const images: ImageSummary[] = [
  {
    Id: 'sha256:f6073d7e08516c68b3f8410d489657b66657559fa67247adc6fd03e2cb917f9c',
    RepoTags: ['busybox:latest', 'myrepo/thing:v1', 'docker.io/library/busybox:1.36'],
    RepoDigests: ['busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
    Created: ago(660),
    Size: 1_982_345,
  },
  { Id: 'sha256:aaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', RepoTags: [], Created: ago(3 * 86400), Size: 4_261_000 },
  { Id: 'sha256:cccccccccccc0000000000000000000000000000000000000000000000000000', RepoTags: null, RepoDigests: null, Created: 0, Size: 0 },
];

describe('images table', () => {
  it('renders one row per repository:tag and <none> for untagged images', () => {
    const want = [
      'REPOSITORY     TAG       IMAGE ID       CREATED          SIZE',
      'busybox        latest    f6073d7e0851   11 minutes ago   1.98MB',
      'busybox        1.36      f6073d7e0851   11 minutes ago   1.98MB',
      'myrepo/thing   v1        f6073d7e0851   11 minutes ago   1.98MB',
      '<none>         <none>    aaaaaaaaaaaa   3 days ago       4.26MB',
      '<none>         <none>    cccccccccccc   53 years ago     0B',
      '',
    ].join('\n');
    assert.equal(formatImages(images, { now: NOW }), want);
  });
  it('shows digests with --digests and full IDs with --no-trunc', () => {
    const out = formatImages(images.slice(0, 1), { digests: true, now: NOW }).split('\n');
    assert.match(out[0]!, /^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/);
    assert.match(out[1]!, /^busybox +latest +sha256:0123456789abcdef/);
    assert.equal(formatImages(images.slice(1, 2), { quiet: true, trunc: false }), `${images[1]!.Id}\n`);
    assert.equal(formatImages(images.slice(0, 1), { format: '{{.Repository}}:{{.Tag}}' }), 'busybox:latest\nbusybox:1.36\nmyrepo/thing:v1\n');
  });
});

describe('history, top and diff', () => {
  it('renders history like docker history', () => {
    const out = formatHistory(
      [
        { Id: 'sha256:f6073d7e08516c68b3f8410d489657b66657559fa67247adc6fd03e2cb917f9c', Created: ago(60), CreatedBy: 'CMD ["sh"]', Size: 0, Comment: '' },
        { Id: '<missing>', Created: ago(120), CreatedBy: '/bin/sh -c #(nop) ADD file:1234567890abcdef1234567890 in / ', Size: 4_261_000, Comment: 'imported' },
      ],
      { now: NOW },
    );
    assert.equal(
      out,
      [
        'IMAGE          CREATED              CREATED BY                                      SIZE      COMMENT',
        'f6073d7e0851   About a minute ago   CMD ["sh"]                                      0B        ',
        '<missing>      2 minutes ago        /bin/sh -c #(nop) ADD file:1234567890abcdef1…   4.26MB    imported',
        '',
      ].join('\n'),
    );
  });
  it('renders top with 20-wide columns', () => {
    const out = formatTop({ Titles: ['UID', 'PID', 'CMD'], Processes: [['root', '4242', 'sleep 300']] });
    assert.equal(out, 'UID                 PID                 CMD\nroot                4242                sleep 300\n');
  });
  it('renders diff as kind and path', () => {
    assert.equal(formatDiff([{ Kind: 0, Path: '/etc' }, { Kind: 1, Path: '/etc/x' }, { Kind: 2, Path: '/tmp/y' }]), 'C /etc\nA /etc/x\nD /tmp/y\n');
  });
});
