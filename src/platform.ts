/**
 * A container platform (`os/arch[/variant]`) as understood by BuildKit and
 * `docker buildx --platform`.
 */
export class Platform {
  /** linux/amd64 (x86-64). */
  public static readonly LINUX_AMD64 = new Platform('linux', 'amd64');
  /** linux/arm64 (aarch64). */
  public static readonly LINUX_ARM64 = new Platform('linux', 'arm64');
  /** linux/arm/v7 (32-bit ARM, hard float). */
  public static readonly LINUX_ARM_V7 = new Platform('linux', 'arm', 'v7');
  /** linux/arm/v6 (32-bit ARM, e.g. Raspberry Pi Zero). */
  public static readonly LINUX_ARM_V6 = new Platform('linux', 'arm', 'v6');
  /** linux/s390x (IBM Z). */
  public static readonly LINUX_S390X = new Platform('linux', 's390x');
  /** linux/ppc64le (IBM POWER, little endian). */
  public static readonly LINUX_PPC64LE = new Platform('linux', 'ppc64le');
  /** linux/riscv64. */
  public static readonly LINUX_RISCV64 = new Platform('linux', 'riscv64');
  /** linux/386 (32-bit x86). */
  public static readonly LINUX_386 = new Platform('linux', '386');

  /**
   * Parses a platform string such as `linux/arm64` or `linux/arm/v7`.
   *
   * Only the platforms listed as constants on this class are accepted (they are the
   * ones Go and BuildKit both build for); anything else throws an error that lists them.
   */
  public static of(platform: string): Platform {
    const normalized = String(platform).trim().toLowerCase();
    const found = Platform.all().find(p => p.value === normalized);
    if (!found) {
      throw new Error(`Unknown platform "${platform}": use one of ${Platform.all().map(p => p.value).join(', ')}`);
    }
    return found;
  }

  /** Every supported platform. */
  public static all(): Platform[] {
    return [
      Platform.LINUX_AMD64, Platform.LINUX_ARM64, Platform.LINUX_ARM_V7, Platform.LINUX_ARM_V6,
      Platform.LINUX_S390X, Platform.LINUX_PPC64LE, Platform.LINUX_RISCV64, Platform.LINUX_386,
    ];
  }

  /** The `os/arch[/variant]` string, e.g. `linux/arm/v7`. */
  public readonly value: string;

  private constructor(
    /** The operating system (`GOOS`, BuildKit's `TARGETOS`). */
    public readonly os: string,
    /** The architecture (`GOARCH`, BuildKit's `TARGETARCH`). */
    public readonly architecture: string,
    /** The variant (BuildKit's `TARGETVARIANT`), e.g. `v7`. */
    public readonly variant?: string,
  ) {
    this.value = [os, architecture, variant].filter(x => x).join('/');
  }

  /** Returns `os/arch[/variant]`. */
  public toString(): string {
    return this.value;
  }
}
