import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keysCommand } from '../../src/cli/commands/keys';
import { fixtureText } from '../helpers/fixtures';
import { runCommand } from '../helpers/run-command';
import { startTestService, type TestService } from '../helpers/service';

/**
 * The README's section "API keys and subaccounts", run as a reader would run it: its `keys` commands
 * (through the command module, as the CLI runs it) and its curl calls (parsed as a shell would, sent
 * with fetch), each answer checked against the one the README shows beneath it.
 */
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const SECTION = README.slice(
  README.indexOf('## API keys and subaccounts'),
  README.indexOf('\n## ', README.indexOf('## API keys and subaccounts') + 1),
);
const ADMIN_KEY = 'test-api-key';

/** The section's shell commands, continuation lines joined, each with the comment line after it. */
function commands(): Array<{ words: string; shown?: string }> {
  const out: Array<{ words: string; shown?: string }> = [];
  for (const [, block] of SECTION.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = (block as string).replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of lines) {
      if (line.startsWith('# ')) {
        const last = out[out.length - 1];
        if (last && last.shown === undefined) last.shown = line.slice(2);
      } else if (line.trim() !== '') out.push({ words: line });
    }
  }
  return out;
}

/** Splits a command line as sh would: quotes, `$NAME` expanded outside single quotes, `#` comments. */
function shellWords(line: string, vars: Readonly<Record<string, string>>): string[] {
  const expand = (text: string) =>
    text.replace(/\$(\w+)/g, (_, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`the README uses $${name}, which the test does not know`);
      return value;
    });
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; ) {
    const char = line[i] as string;
    if (char === "'" || char === '"') {
      const end = line.indexOf(char, i + 1);
      const quoted = line.slice(i + 1, end);
      word += char === '"' ? expand(quoted) : quoted;
      inWord = true;
      i = end + 1;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else if (char === '#' && !inWord) break;
    else {
      let end = i;
      while (end < line.length && !/[\s'"]/.test(line[end] as string)) end += 1;
      word += expand(line.slice(i, end));
      inWord = true;
      i = end;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Runs a curl command line with fetch: the options the README uses, the URL moved to the test service. */
async function curl(
  words: readonly string[],
  base: string,
): Promise<{ status: number; text: string; writeOut?: string }> {
  const headers: Record<string, string> = {};
  let method: string | undefined;
  let body: string | undefined;
  let url: string | undefined;
  let writeOut: string | undefined;
  for (let i = 1; i < words.length; i += 1) {
    const word = words[i] as string;
    if (word === '-s') continue;
    if (word === '-H') {
      const [name, ...value] = (words[++i] as string).split(':');
      headers[(name as string).toLowerCase()] = value.join(':').trim();
    } else if (word === '-X') method = words[++i];
    else if (word === '-d') body = words[++i];
    else if (word === '-o') i += 1;
    else if (word === '-w') writeOut = words[++i];
    else if (word.startsWith('http://127.0.0.1:3000/'))
      url = `${base}${word.slice('http://127.0.0.1:3000'.length)}`;
    else throw new Error(`the test does not know the curl option ${word}`);
  }
  if (!url) throw new Error(`no URL in: ${words.join(' ')}`);
  const response = await fetch(url, {
    method: method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    ...(writeOut !== undefined
      ? { writeOut: writeOut.replace('%{http_code}', String(response.status)).replace('\\n', '') }
      : {}),
  };
}

/** The literal `"field":value` pairs of a shown answer (strings without …, numbers, null, plain lists). */
function shownLiterals(shown: string): string[] {
  return [...shown.matchAll(/"\w+":(?:"[^"…]*"|-?\d+|null|\[(?:"[^"…]*",?)+\])(?=[,}\]])/g)].map(
    (match) => match[0],
  );
}

describe('README: API keys and subaccounts', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
    const batch = fixtureText('webhook-real-batch-2017.json');
    expect((await t.postBatch(batch, { batchId: 'readme-keys' })).status).toBe(200);
    await t.loaded();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('has the keys commands and the curl calls tested here', () => {
    expect(commands().map(({ words }) => words.split(' ').slice(0, 3).join(' '))).toEqual([
      'npx sparkpost-event-db keys',
      'npx sparkpost-event-db keys',
      'npx sparkpost-event-db keys',
      'curl -s -H',
      'curl -s -H',
      'curl -s -o',
      'curl -s -H',
    ]);
  });

  it('runs every example in order, each answering what the README shows', async () => {
    const vars: Record<string, string> = { KEY: ADMIN_KEY };
    for (const { words: line, shown } of commands()) {
      const words = shellWords(line, vars);
      if (words[0] === 'npx') {
        expect(words.slice(0, 3)).toEqual(['npx', 'sparkpost-event-db', 'keys']);
        const run = await runCommand(keysCommand, words.slice(3), async () => t.database.db);
        expect(run.code).toBe(0);
        expect(run.stderr).toBe('');
        const id = /id: +([0-9a-f]+)/.exec(run.stdout)?.[1];
        if (words[3] === 'create') {
          expect(run.stdout).toMatch(/subaccount: +101/);
          vars.ID = id as string;
        }
        if (words[3] === 'list') expect(run.stdout).toContain(vars.ID);
        if (words[3] === 'revoke') expect(run.stdout).toContain(`API key ${vars.ID} revoked`);
        continue;
      }
      const answer = await curl(words, t.service.url);
      expect(shown).toBeDefined();
      if (answer.writeOut !== undefined) {
        expect(answer.writeOut).toBe(shown);
        continue;
      }
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.text);
      if (body.results?.key) vars.ID = body.results.id;
      // Every field the README shows is there; every literal it shows is the value.
      for (const [, field] of (shown as string).matchAll(/"(\w+)":/g))
        expect(answer.text).toContain(`"${field}":`);
      const literals = shownLiterals(shown as string);
      expect(literals.length).toBeGreaterThan(0);
      for (const literal of literals) expect(answer.text).toContain(literal);
      // Only the answer to a create holds a key.
      if (!body.results?.key) expect(answer.text).not.toContain('"key":');
    }
    // The curl examples created a key, listed it and revoked it; the CLI's was revoked as well.
    const left = JSON.parse(
      (await runCommand(keysCommand, ['list', '--json'], async () => t.database.db)).stdout,
    );
    expect(left.results).toEqual([]);
  });
});
