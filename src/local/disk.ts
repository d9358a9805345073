import type { Dirent } from 'node:fs';
import { readdir, stat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** What a folder takes on disk (allocated blocks, as `du` counts them), and how much of it is recent. */
export interface FolderUsage {
  readonly files: number;
  readonly bytes: number;
  /** Of `bytes`, the files modified at or after `since`. */
  readonly recentBytes: number;
}

/** Walks a folder (absent: empty). */
export async function folderUsage(dir: string, since: number): Promise<FolderUsage> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: 0, bytes: 0, recentBytes: 0 };
    throw error;
  }
  let files = 0;
  let bytes = 0;
  let recentBytes = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const info = await stat(join(entry.parentPath, entry.name)).catch(() => undefined);
    if (!info) continue; // removed meanwhile
    const used = info.blocks * 512;
    files += 1;
    bytes += used;
    if (info.mtimeMs >= since) recentBytes += used;
  }
  return { files, bytes, recentBytes };
}

/** The file system holding a path: its device, size and the space an unprivileged user may still use. */
export interface FileSystemSpace {
  readonly device: number;
  readonly sizeBytes: number;
  readonly freeBytes: number;
}

/** The file system of `path`, or of its nearest existing parent when it does not exist yet. */
export async function fileSystemOf(path: string): Promise<FileSystemSpace> {
  let current = resolve(path);
  for (;;) {
    try {
      const [info, space] = await Promise.all([stat(current), statfs(current)]);
      return {
        device: info.dev,
        sizeBytes: space.blocks * space.bsize,
        freeBytes: space.bavail * space.bsize,
      };
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}
