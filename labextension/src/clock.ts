/**
 * The server's clock as seen from the browser: deadlines are the server's
 * to enforce, so the panels count time left by its clock, not by a laptop's
 * that may be minutes off.
 *
 * Every API response carries an HTTP `Date` header (whole seconds). The
 * offset is estimated from the response with the shortest round trip: the
 * server's second plus half a second, minus the middle of the round trip.
 */
export class ServerClock {
  /** Milliseconds to add to the browser's clock to read the server's. */
  get offset(): number {
    return this._offset;
  }

  /** The server's time now, by the best estimate so far. */
  now(): Date {
    return new Date(Date.now() + this._offset);
  }

  /**
   * Learn from one response: its `Date` header, when the request was sent
   * and when the response came, both by `Date.now()`.
   */
  observe(dateHeader: string | null, sentAt: number, receivedAt: number): void {
    if (!dateHeader) {
      return;
    }
    const server = Date.parse(dateHeader);
    const roundTrip = receivedAt - sentAt;
    if (isNaN(server) || roundTrip < 0 || roundTrip >= this._bestRoundTrip) {
      return;
    }
    this._bestRoundTrip = roundTrip;
    this._offset = server + 500 - (sentAt + roundTrip / 2);
  }

  private _offset = 0;
  private _bestRoundTrip = Infinity;
}
