// Globs as GitHub's actions read them (upload-artifact paths, hashFiles): *, ?, ** and directories.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** A glob (*, ?, **) as a regular expression over workspace-relative paths; a directory matches what is under it. */
export function globRegExp(pattern: string): RegExp {
  const p = pattern.replace(/^\.\//, '').replace(/\/$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    if (p.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (p.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (p[i] === '*') {
      re += '[^/]*';
    } else if (p[i] === '?') {
      re += '[^/]';
    } else {
      re += p[i].replace(/[.+^$|(){}[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** Files of the workspace a glob matches, as workspace-relative paths. */
export function globFiles(workspace: string, pattern: string): string[] {
  const re = globRegExp(pattern);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(workspace, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(r);
      else if (re.test(r)) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/**
 * hashFiles(): the SHA-256 of the SHA-256 digests of the files the patterns match (a leading !
 * excludes), sorted by path; '' when nothing matches.
 */
export function hashFiles(workspace: string, patterns: string[]): string {
  const include = patterns.filter(p => !p.startsWith('!'));
  const exclude = patterns.filter(p => p.startsWith('!')).map(p => globRegExp(p.slice(1)));
  const files = [...new Set(include.flatMap(p => globFiles(workspace, p)))].filter(f => !exclude.some(re => re.test(f))).sort();
  if (files.length === 0) return '';
  const all = createHash('sha256');
  for (const f of files) all.update(createHash('sha256').update(fs.readFileSync(path.join(workspace, f))).digest());
  return all.digest('hex');
}
