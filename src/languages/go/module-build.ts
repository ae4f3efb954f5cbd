import { createHash } from 'crypto';
import * as path from 'path';
import { Component, Project } from 'projen';
import { addUpxTool, DEPS_STAGE, dependencyStagesKey, GoBuildSettings, NETRC_SECRET } from './dockerfile';
import { GoModuleInfo } from './module';
import { BakeTarget } from '../../bake';
import { MultiArchPipeline } from '../../components/pipeline';
import { warnMissing } from '../../components/service';
import { BAKE, cacheReference } from '../../contract/internal';
import { DockerfileModel } from '../../dockerfile';

/** What a Go module build knows of a member service. */
export interface GoModuleMember {
  /** The service name. */
  readonly name: string;
  /** The image repository. */
  readonly imageName: string;
  /** The main package, relative to the module root. */
  readonly mainPackage: string;
  /** Whether the service packs its binary with UPX. */
  readonly upx: boolean;
  /** The bake target. */
  readonly bakeTarget: BakeTarget;
  /** The Dockerfile model (shared by several members with a shared Dockerfile). */
  readonly dockerfile: DockerfileModel;
}

/** What makes the `modules`, `imports` and `deps` stages of Go services the same, besides the sources and the platforms. */
interface GoModuleBuildKey extends GoBuildSettings {
  /** The module root (build context). */
  readonly moduleRoot: string;
  /** Build tags. */
  readonly buildTags: string[];
  /** The first member's name when it shares its dependency stages with no other service. */
  readonly alone?: string;
}

/**
 * The build of a Go module's dependencies, shared by the Go services whose `modules`, `imports` and
 * `deps` stages are the same: the same module root, builder image, cgo, Go environment, module files
 * and build tags. Created by the first such service and joined by the others, in their
 * constructors. It owns `GO_PACKAGES` (the main packages of every member, so their import lists and
 * compiled dependencies are one step per platform that BuildKit runs once and a registry cache carries
 * once, also across services of different platforms on the platforms they share), the UPX tool of
 * the members that pack (one per build, from one source), and, for each set of platforms from its
 * second member on, one bake target for the `deps` stage (`_go-deps`) that those members name as
 * their `deps` context (bake builds a linked target for all of its platforms).
 */
export class GoModuleBuild extends Component {
  /**
   * The build of a module key, created when no service has it yet.
   * @internal
   */
  public static _forKey(project: Project, key: GoModuleBuildKey): GoModuleBuild {
    const id = `GoModuleBuild:${createHash('sha256').update(keyOf(key)).digest('hex').slice(0, 16)}`;
    const found = project.node.tryFindChild(id);
    return found instanceof GoModuleBuild ? found : new GoModuleBuild(project, key, id);
  }

  private readonly settings: GoModuleBuildKey;
  /** The bake target that builds the `deps` stage for the members of one set of platforms, from its second member on. */
  private readonly depsTargets: Map<string, BakeTarget> = new Map();
  private readonly _members: GoModuleMember[] = [];
  /** The members by the platforms they build for. */
  private readonly byPlatforms: Map<string, GoModuleMember[]> = new Map();
  private readonly packages: Set<string> = new Set();
  private goPackagesCache?: string;
  private upxSource?: { member: string; image?: string };

  private constructor(project: Project, settings: GoModuleBuildKey, id: string) {
    super(project, id);
    this.settings = settings;
  }

  /** The member services, in creation order. */
  public get members(): GoModuleMember[] {
    return [...this._members];
  }

  /** `GO_PACKAGES` of every member: their main packages, sorted, space-separated. */
  public get goPackages(): string {
    this.goPackagesCache ??= [...this.packages].sort().join(' ');
    return this.goPackagesCache;
  }

  /**
   * Refuses a service that packs with UPX from another source than the build's packers: the
   * dependency stages hold one UPX (checked before the service is created).
   * @internal
   */
  public _checkUpx(name: string, upx: boolean, upxImage?: string): void {
    const held = this.upxSource;
    if (!upx || !held || held.image === upxImage) return;
    const source = (image?: string) => (image ? `upxImage "${image}"` : 'apt (no upxImage)');
    throw new Error(`GoService "${name}" takes UPX from ${source(upxImage)}, but "${held.member}", whose dependency stages it shares (same module root, builder image, cgo, Go environment and build tags), takes it from ${source(held.image)}: the stages hold one UPX, so give both the same upxImage, or set shareDependencies: false on one of them`);
  }

  /**
   * A service joins the build, at the end of its constructor: GO_PACKAGES of every member follows
   * (bake reads it when the file renders), the UPX tool reaches every member's Dockerfile, and from
   * the second member on the `deps` stage comes from one bake target.
   * @internal
   */
  public _join(member: GoModuleMember, upxImage?: string): void {
    this._members.push(member);
    const key = platformsKey(member);
    const sameKey = this.byPlatforms.get(key) ?? [];
    sameKey.push(member);
    this.byPlatforms.set(key, sameKey);
    if (!this.packages.has(member.mainPackage)) {
      this.packages.add(member.mainPackage);
      this.goPackagesCache = undefined;
    }
    const build = this;
    // the build's value, read when the bake file renders; an escape hatch that sets it wins for that member
    let own: string | undefined;
    Object.defineProperty(member.bakeTarget.args, 'GO_PACKAGES', {
      enumerable: true,
      configurable: true,
      get: () => own ?? build.goPackages,
      set: (v: string) => { own = v; },
    });
    member.bakeTarget.args.BUILD_TAGS = this.settings.buildTags.join(',');
    if (member.upx && !this.upxSource) {
      this.upxSource = { member: member.name, image: upxImage };
      // the dependency stages hold one UPX tool: every member's Dockerfile gets it, so they stay the same
      for (const model of new Set(this._members.map(m => m.dockerfile))) addUpxTool(model, { ...this.settings, upxImage });
    } else if (this.upxSource) {
      addUpxTool(member.dockerfile, { ...this.settings, upxImage: this.upxSource.image });
    }
    const same = this.samePlatforms(member);
    if (same.length === 2) this.addDependencyTarget(same);
    const target = this.depsTargets.get(key);
    if (target) member.bakeTarget.contexts[DEPS_STAGE] = `target:${target.name}`;
  }

  /** The bake targets that build the `deps` stage once for the members of a set of platforms. */
  public get dependencyTargets(): BakeTarget[] {
    return [...this.depsTargets.values()];
  }

  /** The members that build for the same platforms as `member` (bake builds a linked target for all of its platforms). */
  private samePlatforms(member: GoModuleMember): GoModuleMember[] {
    return this.byPlatforms.get(platformsKey(member)) ?? [];
  }

  /**
   * At synthesis: the members' dependency stages must still be the same after the escape hatches,
   * since one bake target builds them for all of them.
   */
  public preSynthesize(): void {
    const root = this.settings.moduleRoot;
    const module = this.settings.module;
    warnMissing(this.project, `GoService "${this._members.map(m => m.name).join('", "')}"`, [
      ['moduleRoot', root, path.join(root, 'go.mod'), 'the build reads it: run "go mod init <module path>" there'],
      // a local module the module download needs: the Dockerfile copies its go.mod, so the build fails without it
      ...module.localModules.map(dir => {
        const file = module.localDirectives[dir].startsWith('use ') ? 'go.work' : 'go.mod';
        return [file, module.localDirectives[dir], path.join(root, dir, 'go.mod'),
          `the Dockerfile copies it for the module download, so the build fails until ${path.join(root, dir)} holds its module`,
          `${path.join(root, file)}'s ${module.localDirectives[dir].split(' ')[0]} line`] as [string, string, string, string, string];
      }),
    ]);
    for (const [key, target] of this.depsTargets) {
      const members = this.byPlatforms.get(key)!;
      // bake builds a linked target for all of its platforms: a member whose target an escape hatch
      // gave other platforms cannot take its deps stage from it
      const moved = members.find(m => platformsKey(m) !== key);
      if (moved) {
        throw new Error(`GoService "${moved.name}": its bake target builds for ${platformsKey(moved)} but takes its deps stage from bake target ${target.name}, built for ${key} (the platforms it had when it was created): give the service its platforms with the "platforms" option, not through bakeTarget.platforms`);
      }
      const [first, ...others] = members;
      const stages = dependencyStagesKey(first.dockerfile);
      const changed = others.find(m => dependencyStagesKey(m.dockerfile) !== stages);
      if (changed) {
        throw new Error(`GoService "${changed.name}": its modules, imports or deps stage differs from "${first.name}"'s (an escape hatch changed one of their Dockerfiles), but bake builds those stages once for both (bake target ${target.name}): make the same change to both Dockerfiles, or set shareDependencies: false on the service whose stages should differ`);
      }
    }
  }

  /**
   * Gives the members their `deps` stage from one bake target of its own (a named context
   * `deps = "target:_go-deps"`), which bake builds once per platform for all of them. Without it, each
   * service's target has its own copy of the stages, which BuildKit merges only once their cache
   * keys match; before buildx 0.17 (a build context per target), the merged step then looks its key
   * up in one target's registry cache only, and a fresh runner can compile the dependencies again.
   */
  private addDependencyTarget(group: GoModuleMember[]): void {
    const pipeline = MultiArchPipeline._ensure(this.project);
    const [first] = group;
    // the leading "_" keeps it apart from every service (a service name starts with a letter or digit)
    const name = pipeline.bake.hasTarget('_go-deps') ? `_go-deps-${first.name}` : '_go-deps';
    const build = this;
    const target = new BakeTarget(name, {
      context: first.bakeTarget.context,
      dockerfile: first.bakeTarget.dockerfile,
      target: DEPS_STAGE,
      platforms: first.bakeTarget.platforms,
      platformsVariable: first.bakeTarget.platformsVariable,
      // a constant date: the stage has no image, and a dated one is a new untagged image in the
      // engine on every build with the docker driver (which ignores the cacheonly output)
      args: { BUILD_TAGS: this.settings.buildTags.join(','), SOURCE_DATE_EPOCH: '0' },
      cacheEnabledVariable: 'CACHE_REGISTRY',
      cacheWriteVariable: 'CACHE_WRITE',
      attest: ['type=provenance,disabled=true'],
    });
    let own: string | undefined;
    Object.defineProperty(target.args, 'GO_PACKAGES', {
      enumerable: true,
      configurable: true,
      get: () => own ?? build.goPackages,
      set: (v: string) => { own = v; },
    });
    // a repository of its own, next to the services' caches: the two exports run at once, and a
    // registry can fail a tag write racing another in the same repository (distribution 2.8 does);
    // apart from every image, also of services created after it (so: when the file renders)
    const cache = () => {
      const images = new Set(pipeline.services.map(s => s.imageName));
      let repository = `${first.imageName}-go-deps`;
      while (images.has(repository)) repository += '-cache';
      return `type=registry,ref=${cacheReference(BAKE, repository)}`;
    };
    Object.defineProperty(target, 'cacheFrom', { enumerable: true, get: () => [cache()] });
    Object.defineProperty(target, 'cacheTo', { enumerable: true, get: () => [`${cache()},mode=max`] });
    // the members, as they are when the file renders
    Object.defineProperty(target, 'description', {
      enumerable: true,
      get: () => `The Go dependencies of ${build.samePlatforms(first).map(m => m.name).join(', ')}: built once per platform for all of them`,
    });
    target.addOverride('output', ['type=cacheonly']);
    target.addSecret({ id: NETRC_SECRET, source: '${GO_NETRC}', whenSet: 'GO_NETRC' });
    pipeline.bake.addTarget(target);
    this.depsTargets.set(platformsKey(first), target);
    group.forEach(m => { m.bakeTarget.contexts[DEPS_STAGE] = `target:${name}`; });
  }
}

/** The key of a build: the same for services whose dependency stages are the same. */
function keyOf(k: GoModuleBuildKey): string {
  const module: GoModuleInfo = k.module;
  return JSON.stringify([k.moduleRoot, k.builderImage, k.cgo, k.goEnv, module, k.buildTags.join(','), k.alone ?? null]);
}

/** The platforms a member builds for, as its bake target gives them. */
function platformsKey(m: GoModuleMember): string {
  return JSON.stringify(m.bakeTarget.platforms ?? m.bakeTarget.platformsVariable);
}
