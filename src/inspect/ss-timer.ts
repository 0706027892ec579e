// The timer column of `ss -o`: timer:(NAME,TIME,COUNT), with TIME in ss's units.

/**
 * iproute2's print_ms_timer: minutes, seconds and milliseconds, dropping the finer unit once a
 * coarser one is large: "119min", "1min56sec", "59sec", "1.200ms" (1.2 s: seconds and
 * milliseconds, the point standing between them), "396ms", and "" for an expired timer (0 ms).
 * Negative times show as 0, as the kernel clamps them (jiffies_delta_to_msecs).
 */
export function ssTimerTime(ms: number): string {
  const timeout = Math.max(0, Math.floor(ms));
  let secs = Math.floor(timeout / 1000);
  const minutes = Math.floor(secs / 60);
  secs %= 60;
  let msecs = timeout % 1000;
  let text = '';
  if (minutes > 0) {
    msecs = 0;
    text = `${minutes}min`;
    if (minutes > 9) secs = 0;
  }
  if (secs > 0) {
    if (secs > 9) msecs = 0;
    text += `${secs}${msecs ? '.' : 'sec'}`;
  }
  if (msecs > 0) text += `${String(msecs).padStart(3, '0')}ms`;
  return text;
}

/** ` timer:(on,1.200ms,3)` as ss -o appends it to a row (with its leading space). */
export function ssTimerField(kind: string, remainingMs: number, count: number): string {
  return ` timer:(${kind},${ssTimerTime(remainingMs)},${count})`;
}
