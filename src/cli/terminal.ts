/**
 * One line of status (a progress bar) at the bottom of a terminal, with log lines printed above it: a
 * log line first clears the status line, then the status is drawn again beneath it. Off a terminal there
 * is no status line, only lines.
 */
export interface Terminal {
  readonly tty: boolean;
  /** The terminal's width (a status line is cut to it). */
  readonly columns: number;
  /** Prints a whole line (above the status line, if one is shown). */
  line(text: string): void;
  /** Shows (or replaces) the status line; a terminal only. */
  status(text: string): void;
  /** Leaves the status line as it is and moves below it. */
  endStatus(): void;
}

const terminals = new WeakMap<NodeJS.WritableStream, Terminal>();

/** The Terminal of a stream: one per stream, so that the logger and a progress bar share it. */
export function terminalFor(stream: NodeJS.WriteStream): Terminal {
  const existing = terminals.get(stream);
  if (existing) return existing;
  const tty = stream.isTTY === true;
  let shown: string | undefined;
  const CLEAR = '\r\x1b[K';
  const terminal: Terminal = {
    tty,
    get columns() {
      return stream.columns ?? 100;
    },
    line(text) {
      stream.write(shown === undefined ? `${text}\n` : `${CLEAR}${text}\n${shown}`);
    },
    status(text) {
      if (!tty) return;
      const width = terminal.columns;
      shown = text.length >= width ? text.slice(0, width - 1) : text;
      stream.write(`${CLEAR}${shown}`);
    },
    endStatus() {
      if (shown !== undefined) stream.write('\n');
      shown = undefined;
    },
  };
  terminals.set(stream, terminal);
  return terminal;
}
