import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { BatchStore, StoredObject } from '../core/ports';
import { exists } from './files';

/**
 * A BatchStore on the local file system. Keys map to paths under `root`. Writes go to a temporary file
 * that is fsynced, then hard-linked into place: `link` fails if the name exists, so the first writer
 * wins atomically, and the directory is fsynced so the new name survives a crash.
 */
export function dirBatchStore(root: string): BatchStore {
  const pathOf = (key: string): string => {
    const path = join(root, key);
    if (relative(root, path).startsWith('..')) throw new Error(`key escapes the store: ${key}`);
    return path;
  };

  return {
    async putIfAbsent(key, body) {
      const path = pathOf(key);
      if (await exists(path)) return 'exists';
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomUUID()}.tmp`;
      const file = await open(temp, 'wx');
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      try {
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw error;
      } finally {
        await unlink(temp);
      }
      const dir = await open(dirname(path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return 'created';
    },

    async get(key): Promise<StoredObject> {
      const path = pathOf(key);
      const [body, info] = await Promise.all([readFile(path), stat(path)]);
      return { body, storedAt: info.mtime };
    },

    async *list(prefix) {
      const dir = pathOf(prefix.endsWith('/') ? prefix : dirname(prefix));
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { recursive: true, withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (!entry.isFile() || entry.name.endsWith('.tmp')) continue;
        const key = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
        if (key.startsWith(prefix)) yield key;
      }
    },
  };
}
