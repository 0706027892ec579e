// Argument checks with the errors Node's own net module throws for the same mistakes (its
// internal/validators and internal/errors): the same code, class and wording, so code written
// against Node's net reads tcplab's errors the same way.

/** Node's determineSpecificType: "type number (70000)", "type string ('abc')", "undefined". */
export function received(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'function') return `function ${(value as { name?: string }).name ?? ''}`;
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  let shown = typeof value === 'string' ? `'${value.length > 28 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  if (typeof value === 'bigint') shown += 'n';
  return `type ${typeof value} (${shown})`;
}

function coded<E extends Error>(err: E, code: string): E & { code: string } {
  return Object.assign(err, { code });
}

/** ERR_INVALID_ARG_TYPE: `The "name" argument must be of type T. Received ...` */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  const what = name.includes('.') ? 'property' : 'argument';
  return coded(new TypeError(`The "${name}" ${what} must be ${expected}. Received ${received(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** ERR_INVALID_ARG_VALUE: `The argument 'name' ${reason}. Received ...` */
export function invalidArgValue(name: string, reason: string, value: unknown): TypeError {
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${JSON.stringify(value) ?? String(value)}`), 'ERR_INVALID_ARG_VALUE');
}

/** ERR_MISSING_ARGS for net.connect() without a port. */
export function missingConnectArgs(): TypeError {
  return coded(new TypeError('The "options" or "port" or "path" argument must be specified'), 'ERR_MISSING_ARGS');
}

/** ERR_INVALID_IP_ADDRESS, for a localAddress that is not an address. */
export function invalidIpAddress(text: unknown): TypeError {
  return coded(new TypeError(`Invalid IP address: ${String(text)}`), 'ERR_INVALID_IP_ADDRESS');
}

/**
 * Node's validatePort: a number or a numeric string in 0..65535 (1.. without `allowZero`);
 * anything else is ERR_SOCKET_BAD_PORT. Returns the port as a number.
 */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  const n = typeof port === 'number' ? port : typeof port === 'string' && port.trim() !== '' ? Number(port) : Number.NaN;
  if ((typeof port !== 'number' && typeof port !== 'string') || n !== n >>> 0 || n > 0xffff || (n === 0 && !allowZero)) {
    throw coded(new RangeError(`${name} should be >= ${allowZero ? 0 : 1} and < 65536. Received ${received(port)}.`), 'ERR_SOCKET_BAD_PORT');
  }
  return n;
}

/** Node's getTimerDuration for socket.setTimeout(msecs). */
export function validateTimeout(msecs: unknown): number {
  if (typeof msecs !== 'number') throw invalidArgType('msecs', 'of type number', msecs);
  if (!Number.isFinite(msecs) || msecs < 0) {
    throw coded(new RangeError(`The value of "msecs" is out of range. It must be a non-negative finite number. Received ${String(msecs)}`), 'ERR_OUT_OF_RANGE');
  }
  return msecs;
}

export function validateFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

/** A Node error with a code and no errno: ERR_SOCKET_CLOSED, ERR_SERVER_NOT_RUNNING... */
export function nodeError(code: string, message: string): Error & { code: string } {
  return coded(new Error(message), code);
}
