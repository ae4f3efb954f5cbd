import { Platform } from '../src';

describe('Platform', () => {
  test('constants carry os, architecture and variant', () => {
    expect(Platform.LINUX_AMD64.value).toBe('linux/amd64');
    expect(Platform.LINUX_ARM64.architecture).toBe('arm64');
    expect(Platform.LINUX_ARM_V7.value).toBe('linux/arm/v7');
    expect(Platform.LINUX_ARM_V7.variant).toBe('v7');
    expect(Platform.LINUX_386.value).toBe('linux/386');
    expect([Platform.LINUX_S390X, Platform.LINUX_PPC64LE, Platform.LINUX_RISCV64].map(String)).toEqual(['linux/s390x', 'linux/ppc64le', 'linux/riscv64']);
  });

  test('of() returns the same constant for its string', () => {
    expect(Platform.of('linux/arm/v7')).toBe(Platform.LINUX_ARM_V7);
    expect(Platform.of(' LINUX/ARM64 ')).toBe(Platform.LINUX_ARM64);
  });

  test('of() rejects unknown platforms and lists the allowed ones', () => {
    expect(() => Platform.of('linux/arm64/v9')).toThrow('Unknown platform "linux/arm64/v9": use one of linux/amd64, linux/arm64, linux/arm/v7');
    expect(() => Platform.of('windows/amd64')).toThrow(/Unknown platform/);
    expect(() => Platform.of('linux/amd64\n')).not.toThrow();
    expect(() => Platform.of('linux/amd64,linux/arm64')).toThrow(/Unknown platform/);
  });
});
