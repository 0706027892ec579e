// A status line at the bottom of a terminal: lines written through it scroll above, and the
// status is redrawn under them. Where output is not a terminal it writes plain lines only, so
// logs and pipes get no control characters.

export class StatusLine {
  private status = '';
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = out.isTTY === true;
  }

  /** A line of output, above the status. */
  line(text: string): void {
    if (!this.tty) {
      this.out.write(`${text}\n`);
      return;
    }
    this.out.write(`\r\x1b[2K${text}\n${this.fit(this.status)}`);
  }

  /** Replace the status (shown on a terminal only). */
  set(text: string): void {
    this.status = text;
    if (this.tty) this.out.write(`\r\x1b[2K${this.fit(text)}`);
  }

  /** Remove the status line. */
  clear(): void {
    this.status = '';
    if (this.tty) this.out.write('\r\x1b[2K');
  }

  /** Never wrap: a wrapped status line could not be erased with \r. */
  private fit(text: string): string {
    const width = this.out.columns || 80;
    return text.length < width ? text : `${text.slice(0, Math.max(0, width - 2))}…`;
  }
}
