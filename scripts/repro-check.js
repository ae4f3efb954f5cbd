#!/usr/bin/env node
/**
 * Reproducibility check of the e2e tier: two cold builds of the same commit, pushed to two
 * repositories, must hold the same image for every service and platform.
 *
 *   node scripts/repro-check.js --spec examples/nephoran/e2e.json --first 127.0.0.1:5000/e2e-x \
 *     --second 127.0.0.1:5000/e2e-repro-x --version e2e-123
 *
 * Compares per-platform manifest digests (the index digests differ: provenance attestations carry
 * timestamps of their own, and are skipped). Prints one line per service and platform; exits 1 when
 * any differs, after naming what differs (config or which layer).
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
if (!args.spec || !args.first || !args.second || !args.version) {
  console.error('usage: repro-check.js --spec EXAMPLE/e2e.json --first REGISTRY --second REGISTRY --version V');
  process.exit(2);
}
const SPEC = JSON.parse(fs.readFileSync(args.spec, 'utf8'));

function raw(ref) {
  return JSON.parse(execFileSync('docker', ['buildx', 'imagetools', 'inspect', ref, '--raw'], { encoding: 'utf8' }));
}

/** platform -> manifest digest of an index (or of a single manifest, when it is one). */
function perPlatform(repo) {
  const index = raw(`${repo}:${args.version}`);
  const out = {};
  for (const m of index.manifests || []) {
    const p = m.platform;
    if (!p || p.os === 'unknown') continue;
    out[`${p.os}/${p.architecture}${p.variant ? '/' + p.variant : ''}`] = m.digest;
  }
  return out;
}

/** What differs between two manifests: the config, or the layers by position. */
function explain(a, b) {
  const ma = raw(a);
  const mb = raw(b);
  const diffs = [];
  if (ma.config.digest !== mb.config.digest) diffs.push(`config ${ma.config.digest.slice(7, 19)} vs ${mb.config.digest.slice(7, 19)}`);
  ma.layers.forEach((l, i) => {
    const other = mb.layers[i];
    if (!other || other.digest !== l.digest) diffs.push(`layer ${i + 1} of ${ma.layers.length}`);
  });
  return diffs.join(', ');
}

let failed = 0;
let passed = 0;
for (const svc of SPEC.services) {
  const first = perPlatform(`${args.first}/${svc.name}`);
  const second = perPlatform(`${args.second}/${svc.name}`);
  const platforms = Object.keys(first).sort();
  if (platforms.join() !== Object.keys(second).sort().join()) {
    failed++;
    console.log(`FAIL ${svc.name}: platforms differ (${platforms.join(' ')} vs ${Object.keys(second).sort().join(' ')})`);
    continue;
  }
  for (const p of platforms) {
    if (first[p] === second[p]) {
      passed++;
      console.log(`ok   ${svc.name} ${p}: ${first[p]} in both cold builds`);
    } else {
      failed++;
      const why = explain(`${args.first}/${svc.name}@${first[p]}`, `${args.second}/${svc.name}@${second[p]}`);
      console.log(`FAIL ${svc.name} ${p}: ${first[p]} vs ${second[p]} (${why})`);
    }
  }
}
console.log(`\nreproducible: ${passed} identical, ${failed} different`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
