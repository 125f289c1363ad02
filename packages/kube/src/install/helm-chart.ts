/**
 * The Helm chart `charts/paddock`, generated from the renderers so that it cannot drift from
 * `paddock install`: each object is rendered once with symbolic values (every value a marker
 * naming its path), written as YAML, and each marker becomes the Helm expression of its value
 * (`{{ toJson $.Values.controller.replicas }}`, `printf` inside longer strings, `range` over
 * lists and maps merged into labels); each object's conditions become an `{{- if }}`.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { crdFiles } from '../crds/crd-files.ts';
import type { Condition, RenderedObject } from './install-meta.ts';
import { renderCandidates } from './render.ts';
import { defaultValues, type InstallValues } from './values.ts';

/** Lists the renderers spread or map element by element: the chart ranges over them. */
const LIST_VALUES = new Set([
  'controller.extraArgs',
  'server.extraArgs',
  'networkPolicy.apiServerCidrs',
  'networkPolicy.apiServerPorts',
]);
/** Maps the renderers merge into other maps (labels): the chart ranges over their entries. */
const MERGED_MAPS = new Set(['monitoring.labels', 'monitoring.dashboard.labels']);

const MARK = /@@([VL]):([A-Za-z0-9_.]+)@@/g;

/** The values with every leaf replaced by its marker. */
export function symbolicValues(): InstallValues {
  const walk = (node: unknown, path: string): unknown => {
    if (LIST_VALUES.has(path)) return [`@@L:${path}@@`];
    if (MERGED_MAPS.has(path)) return { [`@@M:${path}@@`]: '' };
    if (node !== null && typeof node === 'object' && !Array.isArray(node) && !isOpaque(path)) {
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => [
          key,
          walk(value, path ? `${path}.${key}` : key),
        ]),
      );
    }
    return `@@V:${path}@@`;
  };
  return walk(defaultValues(), '') as InstallValues;
}

/** Values placed whole (maps, lists of objects) rather than walked into. */
function isOpaque(path: string): boolean {
  return /(^|\.)(nodeSelector|annotations|sandboxNamespaceLabels)$/.test(path);
}

function goString(text: string): string {
  return JSON.stringify(text);
}

/** The Helm expression of a string holding markers (`.` stands for the current list element). */
function expression(text: string): string {
  const whole = text.match(/^@@([VL]):([A-Za-z0-9_.]+)@@$/);
  const ref = (kind: string, path: string) => (kind === 'L' ? '.' : `$.Values.${path}`);
  if (whole) return `{{ toJson ${ref(whole[1] ?? '', whole[2] ?? '')} }}`;
  const args: string[] = [];
  const format = text
    .split(MARK)
    .map((part, i) => {
      // split with two groups: text, kind, path, text, kind, path, …
      if (i % 3 === 0) return part.replaceAll('%', '%%');
      if (i % 3 === 1) return '';
      args.push(ref(text.split(MARK)[i - 1] ?? '', part));
      return '%v';
    })
    .join('');
  return `{{ printf ${goString(format)} ${args.join(' ')} | toJson }}`;
}

type Replacement = { token: string; helm: string; list?: string; map?: string };

/** The object with marked strings swapped for plain tokens, and what each token stands for. */
function tokenize(object: unknown, replacements: Replacement[]): unknown {
  if (typeof object === 'string') {
    if (!object.includes('@@')) return object;
    const token = `__PADDOCK_T${replacements.length}__`;
    const list = object.match(/@@L:([A-Za-z0-9_.]+)@@/)?.[1];
    replacements.push({ token, helm: expression(object), ...(list ? { list } : {}) });
    return token;
  }
  if (Array.isArray(object)) return object.map((item) => tokenize(item, replacements));
  if (object !== null && typeof object === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(object)) {
      const merged = key.match(/^@@M:([A-Za-z0-9_.]+)@@$/)?.[1];
      if (merged !== undefined) {
        const token = `__PADDOCK_T${replacements.length}__`;
        replacements.push({ token, helm: '', map: merged });
        out[token] = '';
      } else out[key] = tokenize(value, replacements);
    }
    return out;
  }
  return object;
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/** YAML text of one object with Helm expressions in place of its tokens. */
export function templateYaml(object: unknown): string {
  const replacements: Replacement[] = [];
  const tokenized = tokenize(object, replacements);
  // Literal `{{` (Prometheus and Grafana templates) must reach the output as text.
  let lines = stringify(tokenized, { lineWidth: 0 }).replaceAll('{{', '{{ "{{" }}').split('\n');
  for (const r of replacements) {
    const at = lines.findIndex((line) => line.includes(r.token));
    if (at === -1) throw new Error(`token ${r.token} lost in YAML`);
    if (r.map !== undefined) {
      const pad = ' '.repeat(indentOf(lines[at] ?? ''));
      lines.splice(
        at,
        1,
        `${pad}{{- range $key, $value := $.Values.${r.map} }}`,
        `${pad}{{ toJson $key }}: {{ toJson $value }}`,
        `${pad}{{- end }}`,
      );
      continue;
    }
    lines[at] = (lines[at] ?? '').replace(r.token, r.helm);
    if (r.list !== undefined) {
      // The list item holding the token: the nearest `- ` at or above it, shallower than it.
      let start = at;
      while (start >= 0 && !isItemOf(lines[start] ?? '', lines[at] ?? '', start === at)) start--;
      if (start < 0) throw new Error(`no list item around ${r.list}`);
      const dash = indentOf(lines[start] ?? '');
      let end = start + 1;
      while (end < lines.length && indentOf(lines[end] ?? '') > dash && (lines[end] ?? '') !== '') {
        end++;
      }
      const pad = ' '.repeat(dash);
      lines = [
        ...lines.slice(0, start),
        `${pad}{{- range $.Values.${r.list} }}`,
        ...lines.slice(start, end),
        `${pad}{{- end }}`,
        ...lines.slice(end),
      ];
    }
  }
  return lines.join('\n');
}

function isItemOf(candidate: string, line: string, isSame: boolean): boolean {
  if (!/^\s*- /.test(candidate)) return false;
  return isSame || indentOf(candidate) < indentOf(line);
}

function helmCondition(condition: Condition, kind: string): string {
  if (condition === 'prometheus-operator') {
    const mode = '$.Values.monitoring.prometheusOperator';
    return `(or (eq ${mode} "enabled") (and (eq ${mode} "auto") ($.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/${kind}")))`;
  }
  if (condition.startsWith('!')) return `(not $.Values.${condition.slice(1)})`;
  return `$.Values.${condition}`;
}

/** One template file's text: the object under its conditions. */
export function templateFile(rendered: RenderedObject): string {
  const body = templateYaml(rendered.object);
  const header = '# Generated by `npm run chart` from packages/kube/src/install: do not edit.\n';
  if (rendered.when.length === 0) return `${header}${body}`;
  // The header goes inside the condition: a file rendering nothing holds no stray comment.
  const conditions = rendered.when.map((c) => helmCondition(c, rendered.object.kind));
  const test = conditions.length === 1 ? conditions[0] : `and ${conditions.join(' ')}`;
  return `{{- if ${test} }}\n${header}${body}{{- end }}\n`;
}

export const CHART_VERSION = '0.1.0';

/** Where the chart is committed: `charts/paddock` of the repository. */
export const CHART_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'charts',
  'paddock',
);

/** Every file of the chart, by path inside `charts/paddock`. */
export function chartFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const defaults = defaultValues();
  files.set(
    'Chart.yaml',
    stringify({
      apiVersion: 'v2',
      name: 'paddock',
      description: 'Paddock on Kubernetes: CRDs, the controller, the server, RBAC and monitoring',
      type: 'application',
      version: CHART_VERSION,
      appVersion: defaults.image.tag,
      kubeVersion: '>=1.29.0-0',
    }),
  );
  files.set(
    'values.yaml',
    `# The values of paddock install (packages/kube/src/install/values.ts): same names, same\n# defaults. Generated by \`npm run chart\`: do not edit.\n${stringify(defaults, { lineWidth: 0 })}`,
  );
  for (const [file, text] of crdFiles()) files.set(`crds/${file}`, text);
  renderCandidates(symbolicValues()).forEach((rendered, i) => {
    const name = rendered.object.metadata.name.replace(/@@V:[A-Za-z.]+@@-?/g, '') || 'namespace';
    const file = `templates/${String(i + 1).padStart(2, '0')}-${rendered.object.kind.toLowerCase()}-${name}.yaml`;
    files.set(file, templateFile(rendered));
  });
  return files;
}
