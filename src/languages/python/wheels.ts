import { Platform } from '../../platform';
import { invalid } from '../../validation';

/**
 * The wheel architecture of each platform (PEP 600 manylinux, PEP 656 musllinux), keyed by BuildKit's
 * `${TARGETARCH}${TARGETVARIANT}`. linux/arm/v6 has none: no manylinux or musllinux tag exists for it.
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

function key(p: Platform): string {
  return `${p.architecture}${p.variant ?? ''}`;
}

/**
 * Checks that every platform has a wheel platform tag, for the CROSS_WHEELS strategy.
 */
export function checkWheelPlatforms(option: string, platforms: Platform[]): void {
  const missing = platforms.filter(p => WHEEL_ARCHES[key(p)] === undefined);
  if (missing.length) {
    throw invalid(option, 'PythonInstallStrategy.CROSS_WHEELS', `has no wheel platform tag for ${missing.map(p => p.value).join(', ')} (manylinux and musllinux define none): use PythonInstallStrategy.TARGET, or leave ${missing.length > 1 ? 'those platforms' : 'that platform'} out of the service's platforms`);
  }
}

/**
 * The cases of a shell `case "${TARGETARCH}${TARGETVARIANT}" in` that set `wheel` to the platform
 * tag pip installs for (pip also accepts older manylinux/musllinux versions of the same tag). Every
 * platform with a tag has a case, so a `PLATFORMS` given to make works too.
 */
export function wheelPlatformCases(libc: string): string {
  return Object.entries(WHEEL_ARCHES).map(([k, arch]) => `${k}) wheel=${libc}_${arch} ;;`).join(' ');
}

/**
 * The C library tag of a Python base image: musllinux_1_2 for Alpine, otherwise the glibc of its
 * Debian or Ubuntu release when the tag names it, else manylinux_2_28 (older than every supported
 * Debian, so a wheel that claims it always runs).
 */
export function wheelLibc(baseImage: string): string {
  const tag = baseImage.split('@')[0].split('/').pop()!.split(':')[1] ?? '';
  if (/alpine/.test(tag)) return 'musllinux_1_2';
  const glibc: { [release: string]: string } = { bullseye: '2_31', bookworm: '2_36', trixie: '2_41', jammy: '2_35', noble: '2_39' };
  for (const [release, version] of Object.entries(glibc)) if (tag.includes(release)) return `manylinux_${version}`;
  return 'manylinux_2_28';
}
