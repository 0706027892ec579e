// A scenario's timeline: lines stamped with the time since the start. A bulk transfer would
// bury the handshake and the close under tens of thousands of data segments, so a run of plain
// data and ACK packets shows its first few and then one line that says how many more crossed
// (the capture has them all). Control packets (SYN, FIN, RST), non-TCP packets, notes and state
// changes end a run and are always shown.

/** Packets of a run shown before the rest is folded into one line. */
const SHOWN_PER_RUN = 4;

export class Timeline {
  readonly lines: string[] = [];
  /** Every packet that crossed the device, shown or folded. */
  packets = 0;
  private runShown = 0;
  private folded = 0;
  private foldedBytes = 0;
  private lastFoldedStamp = '';

  constructor(
    private readonly stamp: () => string,
    private readonly onLine?: (line: string) => void,
  ) {}

  /** A line that always shows (a state change, a note, a check); it ends a run of packets. */
  add(text: string): void {
    this.endRun();
    this.emit(this.stamp(), text);
  }

  /** A packet line; `bulk` packets (TCP without SYN, FIN or RST) are folded after a few. The
   *  text is made only for lines shown: a bulk transfer folds tens of thousands. */
  packet(text: () => string, bulk: boolean, payloadBytes: number): void {
    this.packets++;
    if (!bulk) {
      this.add(text());
      return;
    }
    if (this.runShown < SHOWN_PER_RUN) {
      this.runShown++;
      this.emit(this.stamp(), text());
      return;
    }
    this.folded++;
    this.foldedBytes += payloadBytes;
    this.lastFoldedStamp = this.stamp();
  }

  /** Write out a pending fold (call at the end). */
  flush(): void {
    this.endRun();
  }

  private endRun(): void {
    if (this.folded > 0) {
      const bytes = this.foldedBytes > 0 ? `, ${formatBytes(this.foldedBytes)} of data` : '';
      this.emit(this.lastFoldedStamp, `…  ${this.folded} more data/ACK packets${bytes} (all in the capture)`);
    }
    this.runShown = 0;
    this.folded = 0;
    this.foldedBytes = 0;
  }

  private emit(stamp: string, text: string): void {
    const full = `${stamp}  ${text}`;
    this.lines.push(full);
    this.onLine?.(full);
  }
}

function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}
