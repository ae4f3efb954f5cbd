import { BakeTargetDefaults, BakeVariable } from '../bake';
import { BAKE, BuildVariable, cacheReference, IMultiArchService, imageReference, TITLE_LABEL, variableLabels } from '../contract/internal';

/** What every service's bake target inherits from the pipeline. */
export interface BakeSettings {
  readonly provenance: boolean;
  readonly sbom: boolean;
  readonly tagLatest: boolean;
  readonly labels: { [key: string]: string };
}

/** The bake variables of the contract, in catalogue order. */
export function bakeVariables(variables: BuildVariable[]): BakeVariable[] {
  return variables.filter(v => v.bakeDefault !== undefined)
    .map(v => ({ name: v.name, default: v.bakeDefault!, description: v.bakeDescription ?? v.description }));
}

/**
 * The attributes a service's target gets from the pipeline: labels from the contract and the
 * pipeline's options, the registry cache (when CACHE_REGISTRY is set), attestations, `:latest`.
 */
export function bakeDefaults(s: BakeSettings, variables: BuildVariable[], service: IMultiArchService): BakeTargetDefaults {
  return {
    tags: s.tagLatest ? [imageReference(BAKE, service.imageName, 'latest')] : [],
    labels: { [TITLE_LABEL]: service.name, ...variableLabels(variables, BAKE), ...s.labels },
    cacheFrom: [`type=registry,ref=${cacheReference(BAKE, service.imageName)}`],
    cacheTo: [`type=registry,ref=${cacheReference(BAKE, service.imageName)},mode=max`],
    cacheEnabledVariable: 'CACHE_REGISTRY',
    cacheWriteVariable: 'CACHE_WRITE',
    indexAnnotationsVariable: 'INDEX_ANNOTATIONS',
    attest: [...(s.provenance ? ['type=provenance,mode=max'] : []), ...(s.sbom ? ['type=sbom'] : [])],
  };
}
