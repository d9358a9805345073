import { count, duration } from './format';
import type { Terminal } from './terminal';

/**
 * An export's progress on stderr: on a terminal a bar that redraws one line (events written of the
 * count, rate, time left); on anything else a plain line at the start, every 10 s and at the end, so
 * that a log gets a readable record and a pipe stays clean.
 */
export interface ExportProgress {
  /** `events` more written. */
  written(events: number): void;
  /** Draws the final state and leaves the line. */
  finish(): void;
}

const REDRAW_MS = 100;
const LINE_EVERY_MS = 10_000;
const BAR_WIDTH = 24;
const MIN_BAR_WIDTH = 8;

export function createExportProgress(
  terminal: Terminal,
  options: { readonly total: number; readonly now?: () => number },
): ExportProgress {
  const now = options.now ?? Date.now;
  const started = now();
  let events = 0;
  let drawnAt = 0;
  let lineAt = started;
  let lastLine = '';
  const print = (text: string) => {
    if (text === lastLine) return;
    lastLine = text;
    terminal.line(text);
  };

  const figures = () => {
    const fraction = options.total > 0 ? Math.min(1, events / options.total) : 1;
    const seconds = Math.max(0.001, (now() - started) / 1000);
    const rate = events / seconds;
    const eta = fraction > 0 && fraction < 1 ? (seconds * (1 - fraction)) / fraction : undefined;
    return { fraction, rate, eta, done: `${count(events)}/${count(options.total)} events` };
  };

  const bar = () => {
    const { fraction, rate, eta, done } = figures();
    const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
    const tail = eta !== undefined ? [`ETA ${duration(eta)}`] : [];
    let parts = [done, `${count(rate)} events/s`, ...tail];
    const room = () =>
      terminal.columns - 1 - 'export [] '.length - percent.length - parts.join('  ').length - 2;
    if (room() < MIN_BAR_WIDTH) parts = [done, ...tail];
    const width = Math.max(MIN_BAR_WIDTH, Math.min(BAR_WIDTH, room()));
    const filled = Math.round(fraction * width);
    return `export [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${parts.join('  ')}`;
  };

  const line = () => {
    const { rate, eta, done } = figures();
    const parts = [done, `${count(rate)} events/s`];
    if (eta !== undefined) parts.push(`about ${duration(eta)} left`);
    return `export: ${parts.join(', ')}`;
  };

  if (terminal.tty) terminal.status(bar());
  else terminal.line(`export: ${count(options.total)} events to write`);

  return {
    written(more) {
      events += more;
      const at = now();
      if (terminal.tty) {
        if (at - drawnAt >= REDRAW_MS) {
          drawnAt = at;
          terminal.status(bar());
        }
      } else if (at - lineAt >= LINE_EVERY_MS) {
        lineAt = at;
        print(line());
      }
    },
    finish() {
      if (terminal.tty) {
        terminal.status(bar());
        terminal.endStatus();
      } else print(line());
    },
  };
}
