import { parseKeyValueFile, parsePathFile } from './workflow-files';

describe('GITHUB_ENV / GITHUB_OUTPUT files', () => {
  test('name=value lines and heredocs, as the runner reads them', () => {
    // GIVEN
    const text = 'A=1\n\nB=x=y\nJSON<<EOF_1\n{\n  "a": 1\n}\nEOF_1\nEMPTY<<D\nD\n';
    // WHEN
    const values = parseKeyValueFile(text, 'GITHUB_OUTPUT');
    // THEN
    expect([...values]).toEqual([['A', '1'], ['B', 'x=y'], ['JSON', '{\n  "a": 1\n}'], ['EMPTY', '']]);
  });

  test('a heredoc without its closing delimiter is an error', () => {
    expect(() => parseKeyValueFile('A<<EOF\nvalue\n', 'GITHUB_ENV')).toThrow(/matching delimiter not found 'EOF'/);
  });

  test('a line of neither form is an error', () => {
    expect(() => parseKeyValueFile('just text\n', 'GITHUB_ENV')).toThrow(/invalid format 'just text'/);
  });

  test('GITHUB_PATH: the last line ends up first on PATH', () => {
    expect(parsePathFile('/a\n/b\n\n')).toEqual(['/b', '/a']);
  });
});
