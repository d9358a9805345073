import { count, duration, plural } from './format';
import type { Terminal } from './terminal';

/**
 * A replay's progress: a bar that redraws one line on a terminal (batches and events done of the total,
 * rate, time left), or on anything else a plain line now and then — at the start, after every further
 * tenth of the batches or 10 s, and at the end — so that a log file gets a readable record.
 */
export interface Progress {
  /** One more batch done, holding `events` events. */
  batchDone(events: number): void;
  /** Draws the final state and leaves the line. */
  finish(): void;
}

export interface ProgressOptions {
  readonly batches: number;
  /** Events in the batches, when known up front (from their records). */
  readonly events?: number;
  /** Plain lines off a terminal (false: nothing off a terminal, e.g. with --json). */
  readonly lines: boolean;
  readonly now?: () => number;
}

const REDRAW_MS = 100;
const LINE_EVERY_MS = 10_000;
const BAR_WIDTH = 24;
const MIN_BAR_WIDTH = 8;

export function createProgress(terminal: Terminal, options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  let batches = 0;
  let events = 0;
  let drawnAt = 0;
  let lineAt = started;
  let lineBatches = 0;
  const step = Math.max(1, Math.ceil(options.batches / 10));

  const totals = () => {
    const eventsTotal = options.events;
    const fraction =
      eventsTotal !== undefined && eventsTotal > 0
        ? Math.min(1, events / eventsTotal)
        : options.batches > 0
          ? batches / options.batches
          : 1;
    const seconds = Math.max(0.001, (now() - started) / 1000);
    const rate = events / seconds;
    const eta = fraction > 0 && fraction < 1 ? (seconds * (1 - fraction)) / fraction : undefined;
    const eventsText =
      eventsTotal !== undefined ? `${count(events)}/${count(eventsTotal)} events` : `${count(events)} events`;
    return { fraction, rate, eta, eventsText };
  };

  /** The bar and its figures, fitted to the terminal: the bar shrinks first, then the rate goes. */
  const bar = () => {
    const { fraction, rate, eta, eventsText } = totals();
    const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
    const figures = [`${count(batches)}/${count(options.batches)} batches`, eventsText];
    const tail = eta !== undefined ? [`ETA ${duration(eta)}`] : [];
    const room = (parts: string[]) =>
      terminal.columns - 1 - 'replay [] '.length - percent.length - parts.join('  ').length - 2;
    let parts = [...figures, `${count(rate)} events/s`, ...tail];
    if (room(parts) < MIN_BAR_WIDTH) parts = [...figures, ...tail];
    const width = Math.max(MIN_BAR_WIDTH, Math.min(BAR_WIDTH, room(parts)));
    const filled = Math.round(fraction * width);
    return `replay [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${parts.join('  ')}`;
  };

  const line = () => {
    const { rate, eta, eventsText } = totals();
    const parts = [
      `${count(batches)}/${count(options.batches)} batches`,
      eventsText,
      `${count(rate)} events/s`,
    ];
    if (eta !== undefined) parts.push(`about ${duration(eta)} left`);
    return `replay: ${parts.join(', ')}`;
  };

  if (terminal.tty) terminal.status(bar());
  else if (options.lines) {
    const eventsText = options.events !== undefined ? ` (${count(options.events)} events)` : '';
    terminal.line(`replay: ${plural(options.batches, 'batch', 'batches')} to load${eventsText}`);
  }

  return {
    batchDone(found) {
      batches += 1;
      events += found;
      const at = now();
      if (terminal.tty) {
        if (at - drawnAt >= REDRAW_MS) {
          drawnAt = at;
          terminal.status(bar());
        }
      } else if (options.lines && batches < options.batches) {
        if (at - lineAt >= LINE_EVERY_MS || batches - lineBatches >= step) {
          lineAt = at;
          lineBatches = batches;
          terminal.line(line());
        }
      }
    },
    finish() {
      if (terminal.tty) {
        terminal.status(bar());
        terminal.endStatus();
      } else if (options.lines) terminal.line(line());
    },
  };
}
