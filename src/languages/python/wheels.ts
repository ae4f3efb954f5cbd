import { Platform } from '../../platform';
import { invalid } from '../../validation';

/**
 * The wheel architecture of each platform (PEP 600 manylinux), keyed by BuildKit's
 * `${TARGETARCH}${TARGETVARIANT}`. linux/arm/v6 has none: no manylinux tag exists for it.
 */
const WHEEL_ARCHES: { [targetArchAndVariant: string]: string } = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  armv7: 'armv7l',
  386: 'i686',
  s390x: 's390x',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
};

/**
 * The legacy manylinux aliases each wheel architecture has (PEP 513, 571, 599): a wheel may carry
 * only these (`manylinux2014_aarch64`), or these and a PEP 600 tag
 * (`manylinux_2_17_x86_64.manylinux2014_x86_64`, PyPI's most common shape). riscv64 came later and
 * has none. Each list is in pip's order, the preference (`_custom_manylinux_platforms` in
 * pip/_internal/utils/compatibility_tags.py expands `manylinux2014` to these, in this order).
 */
const LEGACY_TAGS: { [wheelArch: string]: string[] } = {
  x86_64: ['manylinux2014', 'manylinux2010', 'manylinux1'],
  i686: ['manylinux2014', 'manylinux2010', 'manylinux1'],
  aarch64: ['manylinux2014'],
  armv7l: ['manylinux2014'],
  ppc64le: ['manylinux2014'],
  s390x: ['manylinux2014'],
};

/**
 * The oldest PEP 600 tag CROSS_WHEELS passes: manylinux_2_17 is manylinux2014, and the older
 * aliases (manylinux2010 = 2_12, manylinux1 = 2_5) are passed by name, which is how such wheels are tagged.
 */
export const OLDEST_GLIBC_MINOR = 17;

function key(p: Platform): string {
  return `${p.architecture}${p.variant ?? ''}`;
}

/**
 * Checks that every platform has a wheel platform tag, for the CROSS_WHEELS strategy.
 */
export function checkWheelPlatforms(option: string, platforms: Platform[]): void {
  const missing = platforms.filter(p => WHEEL_ARCHES[key(p)] === undefined);
  if (missing.length) {
    throw invalid(option, 'PythonInstallStrategy.CROSS_WHEELS', `has no wheel platform tag for ${missing.map(p => p.value).join(', ')} (manylinux defines none): use PythonInstallStrategy.TARGET, or leave ${missing.length > 1 ? 'those platforms' : 'that platform'} out of the service's platforms`);
  }
}

/**
 * Shell commands that set `platforms` to the `--platform` arguments of every wheel tag the target
 * runs and `tried` to a short account of them, from `${TARGETARCH}${TARGETVARIANT}`. pip takes
 * exact tags (it expands only the legacy aliases), so each `manylinux_2_N_<arch>` is passed, from
 * the base image's glibc down to 2_17, then the legacy aliases. The order is the preference: pip
 * ranks the supported tags in `--platform` order (`get_supported`, pip/_internal/utils/
 * compatibility_tags.py) and picks, within a version, the wheel whose best tag ranks first
 * (`Wheel.support_index_min`); a native pip lists the newest glibc first (`platform_tags`,
 * packaging/_manylinux.py), so a manylinux_2_28 wheel wins over a manylinux_2_17 one here too.
 * Every platform with a tag has a case, so a `PLATFORMS` given to make works too.
 */
export function wheelPlatformCommands(glibcVersion: string): string[] {
  const minor = glibcMinor(glibcVersion);
  const archCases = Object.entries(WHEEL_ARCHES).map(([k, arch]) => `${k}) arch=${arch} ;;`).join(' ');
  const byAliases = new Map<string, string[]>();
  for (const [arch, aliases] of Object.entries(LEGACY_TAGS)) byAliases.set(aliases.join(' '), [...byAliases.get(aliases.join(' ')) ?? [], arch]);
  const legacyCases = [...byAliases].map(([aliases, arches]) => `${arches.join('|')}) legacy="${aliases}" ;;`).join(' ');
  const ladder = `manylinux_2_${minor}..manylinux_2_${OLDEST_GLIBC_MINOR}`;
  return [
    `case "\${TARGETARCH}\${TARGETVARIANT}" in ${archCases} *) echo "CROSS_WHEELS: no wheel platform tag for \${TARGETPLATFORM}; use installStrategy TARGET" >&2; exit 1 ;; esac`,
    `case "$arch" in ${legacyCases} *) legacy= ;; esac`,
    `platforms= && n=${minor} && while [ "$n" -ge ${OLDEST_GLIBC_MINOR} ]; do platforms="$platforms --platform manylinux_2_\${n}_$arch"; n=$((n - 1)); done`,
    'for l in $legacy; do platforms="$platforms --platform ${l}_$arch"; done',
    `tried="${ladder}\${legacy:+, $legacy} for $arch"`,
  ];
}

/** `36` of "2.36". */
export function glibcMinor(glibcVersion: string): number {
  return Number(glibcVersion.split('.')[1]);
}

/** Whether a base image is Alpine (musl, not glibc), by its tag. */
export function isAlpine(baseImage: string): boolean {
  return /alpine/.test(imageTag(baseImage));
}

/**
 * The glibc version of a Debian or Ubuntu base image when its tag names the release, else "2.28"
 * (older than every supported Debian, so a wheel that claims it always runs).
 */
export function baseImageGlibc(baseImage: string): string {
  const tag = imageTag(baseImage);
  const glibc: { [release: string]: string } = { bullseye: '2.31', bookworm: '2.36', trixie: '2.41', jammy: '2.35', noble: '2.39' };
  for (const [release, version] of Object.entries(glibc)) if (tag.includes(release)) return version;
  return '2.28';
}

function imageTag(baseImage: string): string {
  return baseImage.split('@')[0].split('/').pop()!.split(':')[1] ?? '';
}
