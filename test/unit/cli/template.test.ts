/**
 * Unit tests for the Go-template subset behind `--format`, and for the JSON indenter that
 * gives `inspect` docker's exact layout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Template, TemplateError } from '../../../src/cli/format/template.js';
import { compactJson, indentJson } from '../../../src/cli/format/json.js';
import { templateString } from '../../../src/cli/format/formatter.js';

const inspect = {
  Id: 'abc',
  Name: '/web',
  State: { Status: 'running', Running: true, ExitCode: 0, Pid: 4242, Health: null },
  Config: { Cmd: ['sleep', '300'], Env: ['A=1', 'B=<x>'], Labels: { z: '1', a: '2' }, Tty: false },
  Mounts: [],
};
const run = (src: string, data: unknown = inspect) => Template.parse(src).execute(data);

describe('Go template subset', () => {
  it('prints fields and nested fields', () => {
    assert.equal(run('{{.State.Status}}'), 'running');
    assert.equal(run('{{.Name}} {{.State.Pid}} {{.State.Running}}'), '/web 4242 true');
    assert.equal(run('{{.}}', 'plain'), 'plain');
  });
  it('prints values like Go %v', () => {
    assert.equal(run('{{.Config.Cmd}}'), '[sleep 300]');
    assert.equal(run('{{.Config.Labels}}'), 'map[a:2 z:1]');
    assert.equal(run('{{.State.Health}}'), '<nil>');
    assert.equal(run('{{.Mounts}}'), '[]');
  });
  it('supports json without HTML escaping', () => {
    assert.equal(run('{{json .Config.Cmd}}'), '["sleep","300"]');
    assert.equal(run('{{json .Config.Env}}'), '["A=1","B=<x>"]');
    assert.equal(run('{{json .State.Health}}'), 'null');
  });
  it('supports functions, arguments and pipelines', () => {
    assert.equal(run('{{join .Config.Cmd ","}}'), 'sleep,300');
    assert.equal(run('{{index .Config.Labels "z"}}'), '1');
    assert.equal(run('{{.Name | upper}}'), '/WEB');
    assert.equal(run('{{upper (index .Config.Labels "a")}}'), '2');
    assert.equal(run('{{len .Config.Cmd}}'), '2');
    assert.equal(run('{{truncate .Id 2}}'), 'ab');
    assert.equal(run('{{printf "%s-%d" .Name .State.Pid}}'), '/web-4242');
    assert.equal(run('{{pad .Name 1 2}}|'), ' /web  |');
  });
  it('supports if/else, with and range', () => {
    assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
    assert.equal(run('{{if .State.ExitCode}}bad{{else if .State.Running}}ok{{else}}x{{end}}'), 'ok');
    assert.equal(run('{{range .Config.Env}}[{{.}}]{{end}}'), '[A=1][B=<x>]');
    assert.equal(run('{{range .Mounts}}x{{else}}none{{end}}'), 'none');
    assert.equal(run('{{with .Config}}{{.Tty}}{{end}}'), 'false');
    assert.equal(run('{{if eq .State.Status "running"}}yes{{end}}'), 'yes');
  });
  it('trims whitespace around {{- and -}}', () => {
    assert.equal(run('a  {{- .Id -}}  b'), 'aabcb');
  });
  it('calls methods of row contexts with arguments', () => {
    const row = { Label: (k: unknown) => `label:${String(k)}`, Name: 'n' };
    assert.equal(run('{{.Label "x"}} {{.Name}}', row), 'label:x n');
  });
  it('reports missing keys with Go positions', () => {
    assert.throws(() => run('{{.Foo}}'), {
      message: 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"',
    });
    assert.throws(() => run('x {{.State.Foo}}'), {
      message: 'template: :1:10: executing "" at <.State.Foo>: map has no entry for key "Foo"',
    });
  });
  it('reports parse errors', () => {
    assert.throws(() => Template.parse('{{.State.Status'), TemplateError);
    assert.throws(() => Template.parse('{{if .X}}no end'), TemplateError);
    assert.throws(() => run('{{nosuchfunc .Id}}'), /function "nosuchfunc" not defined/);
  });
  it('turns docker format strings into templates', () => {
    assert.equal(templateString('table {{.ID}}\\t{{.Names}}'), '{{.ID}}\t{{.Names}}');
    assert.equal(templateString('json'), '{{json .}}');
    assert.equal(templateString('{{.ID}}'), '{{.ID}}');
  });
});

describe('JSON layout', () => {
  it('indents like Go json.Indent, keeping escapes and empty containers', () => {
    const raw = '[{"Id":"a","Env":["x=\\u003cy\\u003e"],"Empty":{},"List":[],"N":1.50}]';
    assert.equal(
      indentJson(raw),
      '[\n    {\n        "Id": "a",\n        "Env": [\n            "x=\\u003cy\\u003e"\n        ],\n        "Empty": {},\n        "List": [],\n        "N": 1.50\n    }\n]',
    );
  });
  it('compacts without touching strings', () => {
    assert.equal(compactJson('[ { "a" : "b c" , "d": [1, 2] } ]'), '[{"a":"b c","d":[1,2]}]');
  });
});
