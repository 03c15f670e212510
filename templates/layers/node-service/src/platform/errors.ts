/** What the platform's guards answer, and the HTTP status each becomes at the edge. */

export class PlatformError extends Error {
  /** The status the server answers when the team's code lets this error through. */
  readonly status: number = 500;
  /** Seconds in Retry-After, for the answers that ask the caller to come back later. */
  readonly retryAfter: boolean = false;
}

/** The request's deadline has passed (or leaves too little for an outbound call). */
export class DeadlineExceeded extends PlatformError {
  override readonly status: number = 504;
}

/** The host's circuit breaker is open: the call was not sent. */
export class CircuitOpen extends PlatformError {
  override readonly status: number = 503;
  override readonly retryAfter: boolean = true;
}

/** The host already has its maximum of calls in flight: the call was not sent. */
export class ConcurrencyLimited extends PlatformError {
  override readonly status: number = 503;
  override readonly retryAfter: boolean = true;
}

/**
 * A call that got no answer: 502 (connection refused, reset), or 504 when it timed out (the
 * per-call or the connect timeout), as python-service's DownstreamUnavailable.
 */
export class DownstreamError extends PlatformError {
  override readonly status: number;

  constructor(message: string, timedOut = false) {
    super(message);
    this.status = timedOut ? 504 : 502;
  }
}
