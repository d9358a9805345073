import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchStore } from '../../src/core/ports';
import { dirBatchStore } from '../../src/local/dir-batch-store';

let dir: string;
let store: BatchStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-store-'));
  store = dirBatchStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dirBatchStore', () => {
  it('lets exactly one of many concurrent writers of a key win, and keeps its bytes', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => Buffer.from(`body-${i}`));
    const results = await Promise.all(bodies.map((body) => store.putIfAbsent('batches/same.json.gz', body)));
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    const winner = bodies[results.indexOf('created')];
    expect((await store.get('batches/same.json.gz')).body).toEqual(winner);
    // No temporary files are left behind.
    expect(await readdir(join(dir, 'batches'))).toEqual(['same.json.gz']);
  });

  it('lists keys under a prefix and reads back what was written', async () => {
    await store.putIfAbsent('batches/a.json.gz', Buffer.from('a'));
    await store.putIfAbsent('batches/b.json.gz', Buffer.from('b'));
    await store.putIfAbsent('other/c.json.gz', Buffer.from('c'));
    const keys: string[] = [];
    for await (const key of store.list('batches/')) keys.push(key);
    expect(keys.sort()).toEqual(['batches/a.json.gz', 'batches/b.json.gz']);
    const object = await store.get('batches/a.json.gz');
    expect(object.body.toString()).toBe('a');
    expect(Math.abs(object.storedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('lists nothing before anything is stored, and refuses keys that escape its folder', async () => {
    const keys: string[] = [];
    for await (const key of store.list('batches/')) keys.push(key);
    expect(keys).toEqual([]);
    await expect(store.putIfAbsent('../escape', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });
});
