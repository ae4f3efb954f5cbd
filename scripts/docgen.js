#!/usr/bin/env node
/**
 * The docgen task's first step: jsii-docgen, run on a directory that holds only this package's
 * package.json and .jsii (and a link to node_modules). jsii-docgen reads every `.jsii` under the
 * directory it runs in, keyed by name and version: run in the repository, it also finds the copies
 * of this library that the examples install (examples/<name>/node_modules/projen-multiarch/.jsii, an
 * older build with the same name and version) and may document one of those instead.
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'docgen-'));
try {
  for (const f of ['package.json', '.jsii']) fs.copyFileSync(path.join(ROOT, f), path.join(work, f));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
  execFileSync(path.join(ROOT, 'node_modules/.bin/jsii-docgen'), ['-o', path.join(ROOT, 'API.md')], { cwd: work, stdio: 'inherit' });
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
