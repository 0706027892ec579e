/**
 * Congestion control, sans-IO: pick an algorithm by its Linux name
 * (net.ipv4.tcp_congestion_control); CUBIC is the default, as in Linux.
 */

import type { CongestionControl, CongestionControlName, SlowStartExit } from './controller.js';
import { Cubic, type CubicOptions } from './cubic.js';
import { Reno } from './newreno.js';
import { CongestionController, type CongestionOptions } from './recovery.js';

export * from './controller.js';
export * from './cubic.js';
export * from './hystart.js';
export * from './newreno.js';
export * from './recovery.js';

export interface CreateCongestionOptions extends Omit<CongestionOptions, 'mss' | 'hystartPlusPlus'> {
  /**
   * How slow start may end before a loss. Default: 'hystart' for CUBIC (Linux's HyStart),
   * 'off' for NewReno (Linux's reno has none; 'hystart' means 'off' there). 'hystart++' runs
   * RFC 9406 with either algorithm.
   */
  readonly slowStartExit?: SlowStartExit;
  /** CUBIC's constants (C, β, fast convergence, Reno-friendliness, HyStart tuning). */
  readonly cubic?: Omit<CubicOptions, 'hystart'>;
}

/** The congestion controller for one connection, with SMSS `mss` bytes. 'reno' is accepted as
 *  Linux's name for NewReno. */
export function createCongestionControl(
  name: CongestionControlName | 'reno' = 'cubic',
  mss: number,
  options: CreateCongestionOptions = {},
): CongestionControl {
  const exit = options.slowStartExit ?? (name === 'cubic' ? 'hystart' : 'off');
  // Without object spreads: this runs for every connection, and a spread of an options object
  // is a generic property copy (3% of a connection-rate profile). `satisfies` keeps the list
  // complete: a new option must be listed here or this does not compile.
  const controllerOptions = {
    mss,
    hystartPlusPlus: exit === 'hystart++',
    initialWindow: options.initialWindow,
    recoveryWindow: options.recoveryWindow,
    tcpSlowStartAfterIdle: options.tcpSlowStartAfterIdle,
    tcpReordering: options.tcpReordering,
    onChange: options.onChange,
  } satisfies { [K in keyof Required<CongestionOptions>]: CongestionOptions[K] };
  switch (name) {
    case 'cubic':
      return new CongestionController(new Cubic(options.cubic === undefined ? { hystart: exit === 'hystart' } : { ...options.cubic, hystart: exit === 'hystart' }), controllerOptions);
    case 'newreno':
    case 'reno':
      return new CongestionController(new Reno(), controllerOptions);
    default:
      throw new RangeError(`unknown congestion control ${String(name)}: expected 'cubic' or 'newreno'`);
  }
}
