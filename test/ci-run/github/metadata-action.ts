// docker/metadata-action v6 (src/meta.ts, tag.ts, flavor.ts at v6.2.0), ported for the stand-in:
// the same tag rules and priorities, flavor (latest=auto, prefix, suffix), the default OCI labels and
// annotations taken from the repository (title = the repository's name, description, url, source,
// licenses, version, created, revision), custom labels with {{commit_date …}}, and the bake files.
// Handlebars and moment are reduced to what the rules use: {{name}}, {{helper 'format' tz='…'}}, and
// the date tokens YYYY MM DD HH mm ss SSS Z with [literal] text.

export interface MetadataInputs {
  readonly images: string[];
  readonly tags: string[];
  readonly flavor: string[];
  readonly labels: string[];
  readonly annotations: string[];
  /** @default docker-metadata-action */
  readonly bakeTarget: string;
}

export interface MetadataContext {
  readonly eventName: string;
  readonly ref: string;
  readonly sha: string;
  readonly commitDate: Date;
  readonly payload: { repository?: { default_branch?: string }; pull_request?: { base?: { ref?: string } }; base_ref?: string };
}

/** What the action reads from the GitHub API about the repository (GET /repos/{owner}/{repo}). */
export interface RepositoryData {
  readonly name: string;
  readonly description: string;
  readonly html_url: string;
  readonly license?: { readonly spdx_id: string };
  readonly default_branch: string;
}

export interface MetadataResult {
  readonly version: string;
  readonly tags: string[];
  readonly tagNames: string[];
  readonly labels: string[];
  /** with their level prefix, e.g. manifest:org.opencontainers.image.title=… */
  readonly annotations: string[];
  readonly json: unknown;
  /** the contents of the bake files, by output name (bake-file-tags, …, bake-file) */
  readonly bakeFiles: Record<'bake-file-tags' | 'bake-file-labels' | 'bake-file-annotations' | 'bake-file', unknown>;
}

type Helper = (args: string[], hash: Record<string, string>) => string;
type Scope = Record<string, string | number | Helper | undefined>;

interface Tag {
  readonly type: string;
  readonly attrs: Record<string, string>;
}

const PRIORITIES: Record<string, string> = {
  schedule: '1000', semver: '900', pep440: '900', match: '800', edge: '700', ref: '600', raw: '200', sha: '100',
};

/** Util.getInputList with ignoreComma and '#' comments: one entry a line. */
export function inputList(value: string | undefined): string[] {
  return (value ?? '').split(/\r?\n/).map(l => l.trim()).filter(l => l && !l.startsWith('#'));
}

function csvFields(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else {
        quoted = !quoted;
      }
    } else if (c === ',' && !quoted) {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  fields.push(cur);
  return fields;
}

export function parseTag(s: string): Tag {
  let type: string | undefined;
  const attrs: Record<string, string> = {};
  for (const field of csvFields(s)) {
    const m = /^([^=]+?)=(.*)$/s.exec(field);
    if (!m) {
      attrs.value = field.trim();
      continue;
    }
    const key = m[1].trim().toLowerCase();
    const value = m[2].trim();
    if (key === 'type') {
      if (!(value in PRIORITIES)) throw new Error(`Unknown tag type attribute: ${value}`);
      type = value;
    } else {
      attrs[key] = value;
    }
  }
  type = type ?? 'raw';
  const def = (k: string, v: string) => {
    if (!(k in attrs)) attrs[k] = v;
  };
  switch (type) {
    case 'schedule': def('pattern', 'nightly'); break;
    case 'semver':
    case 'pep440':
      if (!('pattern' in attrs)) throw new Error(`Missing pattern attribute for ${s}`);
      def('value', ''); def('match', ''); break;
    case 'match':
      if (!('pattern' in attrs)) throw new Error(`Missing pattern attribute for ${s}`);
      def('group', '0'); def('value', ''); break;
    case 'edge': def('branch', ''); break;
    case 'ref':
      if (!('event' in attrs)) throw new Error(`Missing event attribute for ${s}`);
      if (!['branch', 'tag', 'pr'].includes(attrs.event)) throw new Error(`Invalid event for ${s}`);
      if (attrs.event === 'pr') def('prefix', 'pr-');
      break;
    case 'raw':
      if (!('value' in attrs)) throw new Error(`Missing value attribute for ${s}`);
      break;
    case 'sha':
      def('prefix', 'sha-'); def('format', 'short');
      if (!['short', 'long'].includes(attrs.format)) throw new Error(`Invalid format for ${s}`);
      break;
  }
  def('enable', 'true');
  def('priority', PRIORITIES[type]);
  return { type, attrs };
}

/** The rules sorted by priority, highest first (stable), as tag.ts Transform does. */
export function parseTags(inputs: string[]): Tag[] {
  const list = inputs.length ? inputs : ['type=schedule', 'type=ref,event=branch', 'type=ref,event=tag', 'type=ref,event=pr'];
  return list.map(parseTag).sort((a, b) => Number(b.attrs.priority) - Number(a.attrs.priority));
}

interface Flavor { latest: string; prefix: string; prefixLatest: boolean; suffix: string; suffixLatest: boolean }

export function parseFlavor(inputs: string[]): Flavor {
  const flavor: Flavor = { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false };
  for (const input of inputs) {
    let onlatestfor = '';
    for (const field of csvFields(input)) {
      const [key, value] = field.split('=').map(p => p.trim());
      if (value === undefined) throw new Error(`Invalid flavor entry: ${input}`);
      switch (key.toLowerCase()) {
        case 'latest':
          if (!['auto', 'true', 'false'].includes(value)) throw new Error(`Invalid latest flavor entry: ${input}`);
          flavor.latest = value; break;
        case 'prefix': flavor.prefix = value; onlatestfor = 'prefix'; break;
        case 'suffix': flavor.suffix = value; onlatestfor = 'suffix'; break;
        case 'onlatest':
          if (onlatestfor === 'prefix') flavor.prefixLatest = value === 'true';
          if (onlatestfor === 'suffix') flavor.suffixLatest = value === 'true';
          break;
        default: throw new Error(`Unknown flavor entry: ${input}`);
      }
    }
  }
  return flavor;
}

/** moment's format() for the tokens the rules use, in UTC. */
export function formatDate(date: Date, format: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const tokens: Record<string, () => string> = {
    YYYY: () => String(date.getUTCFullYear()),
    MM: () => pad(date.getUTCMonth() + 1),
    DD: () => pad(date.getUTCDate()),
    HH: () => pad(date.getUTCHours()),
    mm: () => pad(date.getUTCMinutes()),
    ss: () => pad(date.getUTCSeconds()),
    SSS: () => pad(date.getUTCMilliseconds(), 3),
    Z: () => '+00:00',
  };
  return format.replace(/\[([^\]]*)\]|YYYY|SSS|MM|DD|HH|mm|ss|Z/g, (m, literal: string | undefined) => literal ?? tokens[m]());
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };

/** handlebars.compile(template)(scope) for `{{name}}` and `{{helper 'arg' key='value'}}` (output HTML-escaped, as handlebars does). */
export function render(template: string, scope: Scope): string {
  return template.replace(/\{\{\s*([\w.]+)((?:\s+(?:\w+=)?(?:'[^']*'|"[^"]*"|[\w.]+))*)\s*\}\}/g, (_m, name: string, rest: string) => {
    const args: string[] = [];
    const hash: Record<string, string> = {};
    for (const a of rest.matchAll(/(?:(\w+)=)?('([^']*)'|"([^"]*)"|([\w.]+))/g)) {
      const value = a[3] ?? a[4] ?? a[5] ?? '';
      if (a[1]) hash[a[1]] = value;
      else args.push(value);
    }
    const v = scope[name];
    const out = typeof v === 'function' ? v(args, hash) : v === undefined ? '' : String(v);
    return out.replace(/[&<>"'`=]/g, c => HTML_ESCAPES[c]);
  });
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export class Meta {
  public readonly version: { main?: string; partial: string[]; latest: boolean };
  private readonly tags: Tag[];
  private readonly flavor: Flavor;

  constructor(private readonly inputs: MetadataInputs, private readonly context: MetadataContext,
    private readonly repo: RepositoryData, private readonly date: Date = new Date()) {
    this.tags = parseTags(inputs.tags);
    this.flavor = parseFlavor(inputs.flavor);
    this.version = this.computeVersion();
  }

  public result(): MetadataResult {
    const labels = this.ociWithCustoms(this.inputs.labels);
    const annotations = this.ociWithCustoms(this.inputs.annotations).map(a => `manifest:${a}`);
    const tags = this.getTags();
    const labelMap = Object.fromEntries(labels.map(l => /([^=]*)=(.*)/s.exec(l)!).map(m => [m[1], m[2]]));
    const args = { DOCKER_META_IMAGES: this.images().join(','), DOCKER_META_VERSION: this.version.main };
    const target = (dt: unknown) => ({ target: { [this.inputs.bakeTarget || 'docker-metadata-action']: dt } });
    return {
      version: this.version.main ?? '',
      tags,
      tagNames: this.generateTags(),
      labels,
      annotations,
      json: { 'tags': tags, 'tag-names': this.generateTags(), 'labels': labelMap, annotations },
      bakeFiles: {
        'bake-file-tags': target({ tags, args }),
        'bake-file-labels': target({ labels: labelMap }),
        'bake-file-annotations': target({ annotations }),
        'bake-file': target({ tags, labels: labelMap, args }),
      },
    };
  }

  private images(): string[] {
    return this.inputs.images.map(i => csvFields(i)).flat().map(i => i.trim())
      .filter(i => i && !/^enable=false$/.test(i)).filter(i => !i.startsWith('enable=')).map(i => i.replace(/^name=/, '').toLowerCase());
  }

  private getTags(): string[] {
    if (!this.version.main) return [];
    const images = this.images();
    return images.length ? images.flatMap(i => this.generateTags(i)) : this.generateTags();
  }

  private generateTags(image?: string): string[] {
    if (!this.version.main) return [];
    const prefix = image ? `${image}:` : '';
    const out = [this.version.main, ...this.version.partial].map(t => `${prefix}${t}`);
    if (this.version.latest) {
      const latest = `${this.flavor.prefixLatest ? this.flavor.prefix : ''}latest${this.flavor.suffixLatest ? this.flavor.suffix : ''}`;
      out.push(`${prefix}${sanitizeTag(latest)}`);
    }
    return out;
  }

  private computeVersion() {
    const version: { main?: string; partial: string[]; latest?: boolean } = { partial: [] };
    const set = (val: string, latest: boolean) => {
      if (!val) return;
      val = sanitizeTag(val);
      if (version.main === undefined) version.main = val;
      else if (val !== version.main) version.partial.push(val);
      if (version.latest === undefined) version.latest = latest;
    };
    const auto = (whenAuto: boolean) => this.flavor.latest === 'auto' ? whenAuto : this.flavor.latest === 'true';
    const ref = this.context.ref;
    for (const tag of this.tags) {
      const enabled = this.globalExp(tag.attrs.enable);
      if (!['true', 'false'].includes(enabled)) throw new Error(`Invalid value for enable attribute: ${enabled}`);
      if (enabled !== 'true') continue;
      switch (tag.type) {
        case 'semver': {
          if (!/^refs\/tags\//.test(ref) && tag.attrs.value.length === 0) break;
          let raw = tag.attrs.value.length > 0 ? this.globalExp(tag.attrs.value) : ref.replace(/^refs\/tags\//, '');
          raw = raw.replace(/\//g, '-');
          const m = SEMVER.exec(raw);
          if (!m) break;
          const sver = { raw, version: `${m[1]}.${m[2]}.${m[3]}${m[4] ? `-${m[4]}` : ''}`, major: m[1], minor: m[2], patch: m[3] };
          const pattern = m[4] && !/^\{\{\s*raw\s*\}\}$/.test(tag.attrs.pattern) ? '{{version}}' : tag.attrs.pattern;
          set(this.setValue(render(pattern, sver), tag), auto(!m[4]));
          break;
        }
        case 'ref':
          if (tag.attrs.event === 'branch' && /^refs\/heads\//.test(ref)) set(this.setValue(ref.replace(/^refs\/heads\//, ''), tag), auto(false));
          if (tag.attrs.event === 'tag' && /^refs\/tags\//.test(ref)) set(this.setValue(ref.replace(/^refs\/tags\//, ''), tag), auto(true));
          if (tag.attrs.event === 'pr' && /^refs\/pull\//.test(ref)) {
            set(this.setValue(ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, ''), tag), auto(false));
          }
          break;
        case 'sha':
          if (this.context.sha) set(this.setValue(tag.attrs.format === 'short' ? this.context.sha.slice(0, 7) : this.context.sha, tag), auto(false));
          break;
        case 'raw':
          set(this.setValue(this.globalExp(tag.attrs.value), tag), auto(false));
          break;
        case 'edge': {
          if (!/^refs\/heads\//.test(ref)) break;
          const branch = tag.attrs.branch || this.repo.default_branch;
          if (ref.replace(/^refs\/heads\//, '') === branch) set(this.setValue('edge', tag), auto(false));
          break;
        }
        default:
          throw new Error(`the metadata-action stand-in does not implement type=${tag.type}`);
      }
    }
    return { main: version.main, partial: [...new Set(version.partial)], latest: version.latest ?? false };
  }

  private setValue(val: string, tag: Tag): string {
    if ('prefix' in tag.attrs) val = `${this.globalExp(tag.attrs.prefix)}${val}`;
    else if (this.flavor.prefix) val = `${this.globalExp(this.flavor.prefix)}${val}`;
    if ('suffix' in tag.attrs) val = `${val}${this.globalExp(tag.attrs.suffix)}`;
    else if (this.flavor.suffix) val = `${val}${this.globalExp(this.flavor.suffix)}`;
    return val;
  }

  private globalExp(val: string): string {
    const ref = this.context.ref;
    const branch = /^refs\/heads\//.test(ref) ? ref.replace(/^refs\/heads\//, '') : '';
    const isDefault = branch !== '' && this.context.payload.repository?.default_branch === branch;
    return render(val, {
      branch: () => branch,
      tag: () => /^refs\/tags\//.test(ref) ? ref.replace(/^refs\/tags\//, '') : '',
      sha: () => this.context.sha.slice(0, 7),
      base_ref: () => /^refs\/pull\//.test(ref) ? this.context.payload.pull_request?.base?.ref ?? '' : '',
      commit_date: (args) => formatDate(this.context.commitDate, args[0] ?? ''),
      date: (args) => formatDate(this.date, args[0] ?? ''),
      is_default_branch: () => String(isDefault),
      is_not_default_branch: () => String(!isDefault),
    });
  }

  private ociWithCustoms(extra: string[]): string[] {
    const res = [
      `org.opencontainers.image.title=${this.repo.name || ''}`,
      `org.opencontainers.image.description=${this.repo.description || ''}`,
      `org.opencontainers.image.url=${this.repo.html_url || ''}`,
      `org.opencontainers.image.source=${this.repo.html_url || ''}`,
      `org.opencontainers.image.version=${this.version.main || ''}`,
      `org.opencontainers.image.created=${this.date.toISOString()}`,
      `org.opencontainers.image.revision=${this.context.sha || ''}`,
      `org.opencontainers.image.licenses=${this.repo.license?.spdx_id || ''}`,
      ...extra.map(l => this.globalExp(l)),
    ];
    const map = new Map<string, string>();
    for (const label of res) {
      const [key, ...values] = label.split('=');
      if (values.length > 0) map.set(key, values.join('='));
    }
    return [...map].sort((a, b) => a[0].localeCompare(b[0])).map(([k, v]) => `${k}=${v}`);
  }
}

function sanitizeTag(tag: string): string {
  return tag.replace(/[^a-zA-Z0-9._-]+/g, '-');
}
