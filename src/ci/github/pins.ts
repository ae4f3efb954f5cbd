/**
 * A GitHub Action pinned to a full commit SHA, with the release it is (written as a comment next to
 * `uses:`, so that Dependabot and Renovate can update it).
 */
export interface GitHubActionPin {
  /** The full 40-character commit SHA. */
  readonly sha: string;
  /** The release tag the commit is, e.g. `v7.0.1`. */
  readonly version: string;
}

/**
 * The actions the generated workflows use, pinned by commit SHA. Each SHA was read from the action's
 * own repository (`git rev-parse <tag>^{commit}`), not copied from elsewhere. Tags can be moved (the
 * trivy-action tags were force-pushed to a credential stealer in March 2026); a commit SHA cannot.
 * Override a pin with `GitHubActionsOptions.actionPins`.
 */
export const DEFAULT_ACTION_PINS: { [action: string]: GitHubActionPin } = {
  'actions/checkout': { sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  'docker/setup-qemu-action': { sha: '96fe6ef7f33517b61c61be40b68a1882f3264fb8', version: 'v4.2.0' },
  'docker/setup-buildx-action': { sha: '37fe631027851001ddb9b187196cc803df7f5f0e', version: 'v4.3.0' },
  'docker/login-action': { sha: '4907a6ddec9925e35a0a9e82d7399ccc52663121', version: 'v4.1.0' },
  'docker/metadata-action': { sha: 'dc802804100637a589fabce1cb79ff13a1411302', version: 'v6.2.0' },
  'actions/upload-artifact': { sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', version: 'v7.0.0' },
  'actions/download-artifact': { sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c', version: 'v8.0.1' },
  'sigstore/cosign-installer': { sha: '6f9f17788090df1f26f669e9d70d6ae9567deba6', version: 'v4.1.2' },
  'anchore/sbom-action/download-syft': { sha: 'e22c389904149dbc22b58101806040fa8d37a610', version: 'v0.24.0' },
  'anchore/scan-action/download-grype': { sha: 'e1165082ffb1fe366ebaf02d8526e7c4989ea9d2', version: 'v7.4.0' },
};
