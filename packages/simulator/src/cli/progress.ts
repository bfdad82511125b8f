/** A progress line for terminals: rewritten in place on a TTY, printed every few seconds otherwise. */

/** Writes progress updates and ordinary lines without mixing them up. */
export interface ProgressPrinter {
  /** Replaces the progress line. */
  update(text: string): void;
  /** Prints a line above the progress line. */
  line(text: string): void;
  /** Ends the progress line (prints its last state). */
  done(): void;
}

const PLAIN_EVERY_MS = 2000;

/** A printer on `out`; `isTTY` decides between in-place updates and occasional lines. */
export function progressPrinter(out: { write(s: string): unknown; isTTY?: boolean }): ProgressPrinter {
  let current = '';
  let shown = '';
  let lastPlain = 0;
  const tty = out.isTTY === true;
  return {
    update(text) {
      current = text;
      if (tty) {
        out.write(`\r${text}\x1b[K`);
        shown = text;
      } else if (Date.now() - lastPlain >= PLAIN_EVERY_MS) {
        out.write(text + '\n');
        lastPlain = Date.now();
        shown = text;
      }
    },
    line(text) {
      out.write(tty && current ? `\r\x1b[K${text}\n${current}` : `${text}\n`);
    },
    done() {
      if (tty && current) out.write('\n');
      else if (!tty && current && current !== shown) out.write(current + '\n');
      current = '';
    },
  };
}
