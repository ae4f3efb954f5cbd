// Reads `gitlab-ci-local --preview` (the pipeline with extends and defaults applied) on stdin and
// prints {"<job>": {"image": "<name>", "services": [{"name", "alias"}]}} for the shims (lib/job.sh).
const YAML = require('yaml');

let text = '';
process.stdin.on('data', d => { text += d; });
process.stdin.on('end', () => {
  // --preview prints progress lines before the document, which starts at "---"
  const start = text.search(/^---$/m);
  if (start < 0) throw new Error('gitlab-ci-local --preview printed no YAML document');
  const doc = YAML.parse(text.slice(start));
  const reserved = new Set(['stages', 'variables', 'default', 'include', 'workflow', 'image', 'services', 'before_script', 'after_script', 'cache']);
  const jobs = {};
  for (const [name, job] of Object.entries(doc)) {
    if (reserved.has(name) || name.startsWith('.') || typeof job !== 'object' || job === null) continue;
    const image = typeof job.image === 'string' ? job.image : job.image?.name ?? '';
    const services = (job.services ?? []).map(s => (typeof s === 'string' ? { name: s } : { name: s.name, alias: s.alias }));
    jobs[name] = { image, services };
  }
  process.stdout.write(JSON.stringify(jobs, null, 2) + '\n');
});
