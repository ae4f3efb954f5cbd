#!/usr/bin/env node
/**
 * After jsii-docgen (the docgen task): puts docs/api-intro.md, what of the API is stable, under the
 * title of API.md. Runs on every build, so API.md stays generated and the intro stays in one place.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const api = path.join(ROOT, 'API.md');
const intro = fs.readFileSync(path.join(ROOT, 'docs/api-intro.md'), 'utf8').trim();
const text = fs.readFileSync(api, 'utf8');
const [title, ...rest] = text.split('\n');
if (!title.startsWith('# API Reference')) throw new Error(`API.md does not start with jsii-docgen's title: ${title}`);
const body = rest.join('\n').replace(/^\n*## What is stable\n[\s\S]*?(?=\n## )/, '').replace(/^\n+/, '');
fs.writeFileSync(api, `${title}\n\n${intro}\n\n${body}`);
