import { BakeModel, BakeTarget, BakeTargetDefaults } from '../../src';
import { parseHcl } from '../helpers';

function model(target: BakeTarget): BakeModel {
  const bake = new BakeModel();
  bake.addVariable({ name: 'REGISTRY', default: 'ghcr.io/x' });
  bake.addVariable({ name: 'PLATFORMS', default: 'linux/amd64,linux/arm64' });
  bake.addTarget(target);
  return bake;
}

describe('BakeModel', () => {
  test('declared variables interpolate; anything else that looks like HCL is escaped', async () => {
    // GIVEN a value that tries to interpolate an undeclared variable and a function
    const target = new BakeTarget('svc', {
      context: '.',
      dockerfile: 'Dockerfile',
      tags: ['${REGISTRY}/svc:${VERSION}'],
      labels: { 'a.b': '${file("/etc/passwd")} "quoted" \\ %{ if true }x%{ endif }' },
    });
    // WHEN
    const hcl = model(target).render();
    const parsed = await parseHcl(hcl);
    // THEN the real HCL parser sees REGISTRY as an interpolation and the rest as literal text
    const t = parsed.target.svc[0];
    expect(t.tags).toEqual(['${REGISTRY}/svc:$${VERSION}']);
    expect(t.labels['a.b']).toBe('$${file("/etc/passwd")} "quoted" \\ %%{ if true }x%%{ endif }');
    expect(t.platforms).toBe('${split(",", PLATFORMS)}');
  });

  test('cache entries are gated on a variable', async () => {
    const target = new BakeTarget('svc', {
      context: '.',
      dockerfile: 'Dockerfile',
      cacheFrom: ['type=registry,ref=${REGISTRY}/svc:cache'],
      cacheTo: ['type=registry,ref=${REGISTRY}/svc:cache,mode=max'],
      cacheEnabledVariable: 'REGISTRY',
    });
    const parsed = await parseHcl(model(target).render());
    expect(parsed.target.svc[0]['cache-from']).toBe('${REGISTRY == "" ? [] : ["type=registry,ref=${REGISTRY}/svc:cache"]}');
  });

  test('a target reads the registry caches of the targets it links after its own, and writes only its own', async () => {
    // GIVEN a shared stage's target, a target that links it, one that links it and a target not in the file, and one behind another gate
    const bake = new BakeModel();
    bake.addVariable({ name: 'REGISTRY', default: '' });
    bake.addVariable({ name: 'OTHER', default: '' });
    const cached = (name: string, variable = 'REGISTRY') => ({
      cacheFrom: [`type=registry,ref=\${${variable}}/${name}:cache`],
      cacheTo: [`type=registry,ref=\${${variable}}/${name}:cache,mode=max`],
      cacheEnabledVariable: variable,
    });
    bake.addTarget(new BakeTarget('_shared', { context: '.', dockerfile: 'Dockerfile', target: 'deps', ...cached('shared') }));
    bake.addTarget(new BakeTarget('_elsewhere', { context: '.', dockerfile: 'Dockerfile', target: 'deps', ...cached('elsewhere', 'OTHER') }));
    bake.addTarget(new BakeTarget('a', { context: '.', dockerfile: 'Dockerfile', contexts: { deps: 'target:_shared' }, ...cached('a') }));
    bake.addTarget(new BakeTarget('b', { context: '.', dockerfile: 'Dockerfile', contexts: { deps: 'target:_shared', tools: 'target:missing', base: 'docker-image://alpine' }, ...cached('b') }));
    bake.addTarget(new BakeTarget('c', { context: '.', dockerfile: 'Dockerfile', contexts: { deps: 'target:_elsewhere', self: 'target:c' }, ...cached('c') }));
    // WHEN rendered
    const t = (await parseHcl(bake.render())).target;
    // THEN the linking targets list the linked cache after their own, in one list when the same variable gates both
    expect(t.a[0]['cache-from']).toBe('${REGISTRY == "" ? [] : ["type=registry,ref=${REGISTRY}/a:cache", "type=registry,ref=${REGISTRY}/shared:cache"]}');
    expect(t.b[0]['cache-from']).toBe('${REGISTRY == "" ? [] : ["type=registry,ref=${REGISTRY}/b:cache", "type=registry,ref=${REGISTRY}/shared:cache"]}');
    // AND behind its own gate when another variable gates the linked one; a link to itself adds nothing
    expect(t.c[0]['cache-from']).toBe('${concat((REGISTRY == "" ? [] : ["type=registry,ref=${REGISTRY}/c:cache"]), (OTHER == "" ? [] : ["type=registry,ref=${OTHER}/elsewhere:cache"]))}');
    // AND the linked targets' own lists and every cache-to are unchanged
    expect(t._shared[0]['cache-from']).toBe('${REGISTRY == "" ? [] : ["type=registry,ref=${REGISTRY}/shared:cache"]}');
    for (const name of ['a', 'b', 'c']) expect(t[name][0]['cache-to']).not.toMatch(/shared|elsewhere/);
  });

  test('index annotations are gated on the defaults\' variable; manifest annotations are not', async () => {
    // GIVEN a target annotating its index from its labels, plus a manifest and an index annotation of its own
    const target = new BakeTarget('svc', { context: '.', dockerfile: 'Dockerfile', annotateIndex: true, labels: { 'org.opencontainers.image.title': 'svc' } });
    target.addAnnotation('manifest:com.example.team=payments');
    target.addAnnotation('index:com.example.tier=1');
    expect(() => target.addAnnotation('index:x')).toThrow(/Invalid annotation "index:x": must be \[<level>:\]<key>=<value>/);
    const render = async (defaults?: BakeTargetDefaults) => {
      const bake = new BakeModel();
      bake.addVariable({ name: 'INDEX_ANNOTATIONS', default: 'true' });
      bake.addTarget(target, defaults);
      return (await parseHcl(bake.render())).target.svc[0].annotations;
    };
    // WHEN it renders without and with the pipeline's gate
    const plain = await render();
    const gated = await render({ indexAnnotationsVariable: 'INDEX_ANNOTATIONS' });
    // THEN only the index-level ones depend on it
    expect(plain).toEqual(['index:org.opencontainers.image.title=svc', 'manifest:com.example.team=payments', 'index:com.example.tier=1']);
    expect(gated).toBe('${concat((INDEX_ANNOTATIONS == "true" ? ["index:org.opencontainers.image.title=svc", "index:com.example.tier=1"] : []), ["manifest:com.example.team=payments"])}');
  });

  test('literal platforms and escape-hatch attributes', async () => {
    const target = new BakeTarget('svc', { context: 'pkg/x', dockerfile: 'Dockerfile', platforms: ['linux/amd64'] });
    target.addOverride('no-cache', true);
    target.addOverride('secret', ['id=netrc,src=${REGISTRY}']);
    const parsed = await parseHcl(model(target).render());
    expect(parsed.target.svc[0].platforms).toEqual(['linux/amd64']);
    expect(parsed.target.svc[0]['no-cache']).toBe(true);
    expect(parsed.target.svc[0].secret).toEqual(['id=netrc,src=${REGISTRY}']);
  });

  test('named contexts render as a map; bad names and empty or multi-line sources are refused', async () => {
    // GIVEN a target whose deps stage and base image come from named contexts
    const target = new BakeTarget('svc', { context: '.', dockerfile: 'Dockerfile', contexts: { 'deps': 'target:_go-deps', 'alpine:3.20': 'docker-image://alpine@sha256:abc' } });
    // WHEN rendered THEN bake reads them as given
    expect((await parseHcl(model(target).render())).target.svc[0].contexts).toEqual({ 'deps': 'target:_go-deps', 'alpine:3.20': 'docker-image://alpine@sha256:abc' });
    // AND nonsense is refused at construction, and when added later, at render
    const make = (contexts: { [name: string]: string }) => new BakeTarget('svc', { context: '.', dockerfile: 'Dockerfile', contexts });
    expect(() => make({ 'a b': 'target:x' })).toThrow(/Invalid contexts name "a b".*stage name or an image reference/);
    expect(() => make({ deps: '' })).toThrow(/Invalid contexts.deps "".*must be a source/);
    expect(() => make({ deps: 'target:x\n}' })).toThrow(/control characters/);
    const later = new BakeTarget('svc', { context: '.', dockerfile: 'Dockerfile' });
    later.contexts['-x'] = 'target:y';
    expect(() => model(later).render()).toThrow(/Invalid contexts name "-x"/);
  });

  test('newlines and bad names are refused', () => {
    expect(() => new BakeTarget('bad name', { context: '.', dockerfile: 'Dockerfile' })).toThrow(/Invalid bake target name/);
    const target = new BakeTarget('svc', { context: '.', dockerfile: 'Dockerfile', tags: ['a"\n}\ntarget "evil" {'] });
    expect(() => model(target).render()).toThrow(/control characters/);
    expect(() => new BakeModel().addVariable({ name: 'X-Y', default: '' })).toThrow(/Invalid bake variable/);
  });
});

describe('BakeTarget secrets', () => {
  test('a secret gated on its variable is passed only when the variable is set; several are concatenated', async () => {
    const bake = new BakeModel();
    bake.addVariable({ name: 'GO_NETRC', default: '' });
    bake.addVariable({ name: 'PIP_CONF', default: '' });
    const target = new BakeTarget('svc', { context: '.', dockerfile: 'Dockerfile', platforms: ['linux/amd64'] });
    target.addSecret({ id: 'netrc', source: '${GO_NETRC}', whenSet: 'GO_NETRC' });
    bake.addTarget(target);
    expect((await parseHcl(bake.render())).target.svc[0].secret).toBe('${GO_NETRC == "" ? [] : ["id=netrc,src=${GO_NETRC}"]}');
    target.addSecret({ id: 'pipconf', source: '${PIP_CONF}', whenSet: 'PIP_CONF' });
    expect((await parseHcl(bake.render())).target.svc[0].secret)
      .toBe('${concat((GO_NETRC == "" ? [] : ["id=netrc,src=${GO_NETRC}"]), (PIP_CONF == "" ? [] : ["id=pipconf,src=${PIP_CONF}"]))}');
  });

  test('ids and sources that would break the secret spec are refused', () => {
    const target = new BakeTarget('svc', { context: '.', dockerfile: 'Dockerfile' });
    expect(() => target.addSecret({ id: 'a,src=/etc/shadow', source: 'x' })).toThrow(/Invalid secret id/);
    expect(() => target.addSecret({ id: 'netrc', source: '/tmp/a,src=/etc/shadow' })).toThrow(/Invalid secret source .*must not contain ","/);
    expect(() => target.addSecret({ id: 'netrc', source: 'x', whenSet: 'NOT-A-VAR' })).toThrow(/Invalid secret whenSet/);
  });
});
