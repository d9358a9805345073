import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { chmod, link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { BatchStore, StoredObject } from '../core/ports';
import { exists } from './files';

/**
 * A BatchStore on the local file system. Keys map to paths under `root`. Writes go to a temporary file
 * that is fsynced, then hard-linked into place: `link` fails if the name exists, so the first writer
 * wins atomically, and the directory is fsynced so the new name survives a crash. Raw batches hold
 * addresses: files are created 0600 and folders 0700, readable by this user only.
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
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const temp = `${path}.${randomUUID()}${TEMP_SUFFIX}`;
      try {
        const file = await open(temp, 'wx', 0o600);
        try {
          await file.writeFile(body);
          await file.sync();
        } finally {
          await file.close();
        }
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw error;
      } finally {
        // Whatever happened (a full disk, a refused link), the temporary file goes.
        await unlink(temp).catch(() => undefined);
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

    async *list(prefix, options = {}) {
      const since = options.modifiedSince?.getTime();
      const dir = pathOf(prefix.endsWith('/') ? prefix : dirname(prefix));
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { recursive: true, withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (!entry.isFile() || entry.name.endsWith(TEMP_SUFFIX)) continue;
        const key = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
        if (!key.startsWith(prefix)) continue;
        if (since !== undefined) {
          const info = await stat(join(entry.parentPath, entry.name)).catch(() => undefined);
          if (!info || info.mtimeMs < since) continue;
        }
        yield key;
      }
    },
  };
}

const TEMP_SUFFIX = '.tmp';

/**
 * Makes the store private to this user (0700 folders, 0600 files, as an earlier version may have left
 * them readable) and removes temporary files a killed or failed write left behind. Run at start, before
 * any write: a temporary file is never a batch (only the hard link is, and it is complete).
 */
export async function prepareBatchFolder(root: string, prefix: string): Promise<{ removed: number }> {
  const folder = join(root, prefix);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  let removed = 0;
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory()) await chmod(path, 0o700);
    else if (entry.name.endsWith(TEMP_SUFFIX)) {
      await unlink(path).catch(() => undefined);
      removed += 1;
    } else if (entry.isFile()) await chmod(path, 0o600);
  }
  return { removed };
}
