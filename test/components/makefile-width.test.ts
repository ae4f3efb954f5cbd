/**
 * The generated Makefiles stay readable: no line of the three examples is longer than 160 characters
 * (the lines make reads are wrapped at 120, recipes are short because the helper script does the
 * work; before the helper script, lines ran up to 1,447 characters).
 */
import * as fs from 'fs';
import * as path from 'path';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const MAKEFILES = ['monorepo/Makefile', 'nephoran/Makefile', 'storefront/multiarch.mk'];

test.each(MAKEFILES)('examples/%s has no line longer than 160 characters', file => {
  // GIVEN the Makefile an example generated
  const lines = fs.readFileSync(path.join(EXAMPLES, file), 'utf8').split('\n');
  // WHEN its lines are measured (a tab counts as one character)
  const long = lines.map((text, i) => ({ line: i + 1, length: text.length })).filter(l => l.length > 160);
  // THEN none is longer than 160
  expect(long).toEqual([]);
});
