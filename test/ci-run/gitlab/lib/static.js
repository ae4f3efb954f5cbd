// Static checks of a generated .gitlab-ci.yml, for what the lab cannot show by running it (issue #20
// defects 10 and 11). Prints one JSON result per line: {"ok": bool, "what": "...", "evidence": [...]}.
//   node lib/static.js <.gitlab-ci.yml>
const fs = require('fs');
const YAML = require('yaml');

const doc = YAML.parse(fs.readFileSync(process.argv[2], 'utf8'));
const vars = doc.variables ?? {};
const jobs = Object.entries(doc).filter(([, j]) => j && typeof j === 'object' && ('script' in j || 'image' in j || 'services' in j));
const result = (ok, what, evidence = []) => console.log(JSON.stringify({ ok, what, evidence }));

// Defect 10: every image a job runs, as image:, service or `docker run`, pinned by digest.
const images = new Set();
for (const [name, job] of jobs) {
  const image = typeof job.image === 'string' ? job.image : job.image?.name;
  if (image) images.add(`${image} (image of ${name})`);
  for (const s of job.services ?? []) images.add(`${typeof s === 'string' ? s : s.name} (service of ${name})`);
  for (const line of [...(job.before_script ?? []), ...(job.script ?? [])]) {
    const m = /docker run\b.*?\s([a-z0-9./_-]+\/[a-z0-9._-]+(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?)\s/.exec(`${line} `);
    if (m) images.add(`${m[1]} (docker run in ${name})`);
  }
}
const unpinned = [...images].filter(i => !/@sha256:[0-9a-f]{64}/.test(i));
result(unpinned.length === 0, 'static: every image the pipeline runs is pinned by digest',
  unpinned.map(i => `not pinned: ${i}`));

// Defect 11: credentials of GitLab's own registry only for GitLab's registry.
const host = String(vars.REGISTRY_HOST ?? '');
const user = String(vars.REGISTRY_USER ?? '');
const gitlabRegistry = host === '$CI_REGISTRY' || /(^|\.)gitlab\.com$/.test(host) || host === 'registry.gitlab.com';
const fallsBack = /\$\{?CI_REGISTRY_(USER|PASSWORD)\}?/.test(`${vars.REGISTRY_USER ?? ''} ${vars.REGISTRY_PASSWORD ?? ''}`);
result(gitlabRegistry || !fallsBack, `static: no fallback to GitLab's CI_REGISTRY_* credentials for ${host || 'the registry'}`,
  fallsBack && !gitlabRegistry ? [`REGISTRY_HOST=${host}, REGISTRY_USER=${user}, REGISTRY_PASSWORD=${vars.REGISTRY_PASSWORD}`] : []);
