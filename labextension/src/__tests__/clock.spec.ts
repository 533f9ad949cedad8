import { ServerClock } from '../clock';

describe('ServerClock', () => {
  it('reads the browser clock until a response says otherwise', () => {
    const clock = new ServerClock();
    expect(clock.offset).toBe(0);
    clock.observe(null, 1000, 1100);
    clock.observe('not a date', 1000, 1100);
    expect(clock.offset).toBe(0);
  });

  it('takes the server second plus half, against the middle of the round trip', () => {
    const clock = new ServerClock();
    const sent = Date.parse('2026-12-01T14:00:00Z');
    // The server's clock is 5 minutes behind: it said 13:55:00 during a 200 ms trip.
    clock.observe('Tue, 01 Dec 2026 13:55:00 GMT', sent, sent + 200);
    expect(clock.offset).toBe(-5 * 60000 + 500 - 100);
  });

  it('keeps the estimate of the shortest round trip', () => {
    const clock = new ServerClock();
    const sent = Date.parse('2026-12-01T14:00:00Z');
    clock.observe('Tue, 01 Dec 2026 14:00:00 GMT', sent, sent + 100);
    const best = clock.offset;
    // A slow answer (5 s) says less about the server's clock: ignored.
    clock.observe('Tue, 01 Dec 2026 14:00:04 GMT', sent, sent + 5000);
    expect(clock.offset).toBe(best);
    clock.observe('Tue, 01 Dec 2026 14:00:01 GMT', sent + 1000, sent + 1020);
    expect(clock.offset).toBe(1000 + 500 - 1010);
  });
});
