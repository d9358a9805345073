/**
 * How much of a page fits in an answer. Lambda refuses a synchronous response over 6,291,556 bytes
 * (the serialized response object: the body is a JSON string inside it, so its quotes and backslashes
 * are escaped once more), and the HTTP API's own limit is 10 MB. A page of 10,000 events of ~1.2 KB
 * would be ~12 MB, so pages are cut here, in the core, on the local server as on AWS: results are
 * measured as they travel in a Lambda response (JSON inside a JSON string), and a page stops before its
 * results pass PAGE_BUDGET_BYTES, leaving room for the envelope, the links and the headers. The cut is
 * made on the uncompressed size, so a client that does not accept gzip gets a valid answer too.
 */
export const PAGE_BUDGET_BYTES = 5 * 1024 * 1024;

/** How many of `results`, from the first, fit in `budget` bytes (at least one, when there is one). */
export function fittingCount(results: readonly unknown[], budget: number = PAGE_BUDGET_BYTES): number {
  let used = 0;
  for (let i = 0; i < results.length; i += 1) {
    // The result as JSON, then as the JSON string the Lambda response carries it in, and its comma.
    used += Buffer.byteLength(JSON.stringify(JSON.stringify(results[i]))) - 2 + 1;
    if (used > budget) return Math.max(i, 1);
  }
  return results.length;
}

/**
 * For page-number paging (the legacy API): a page that starts after `start` results and may hold `fit`
 * results answers as a page of the largest size ≤ fit that divides `start`, so that the page numbers of
 * its links, in that size, continue exactly after its last result.
 */
export function pageSizeDividing(start: number, fit: number): number {
  if (start === 0) return fit;
  for (let size = fit; size > 1; size -= 1) if (start % size === 0) return size;
  return 1;
}
