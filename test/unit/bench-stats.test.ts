/** The arithmetic the benchmark judges by: windows, rates, jitter, wasted calls. */
import should from 'should';
import { effectiveRate, maxInWindow, median, percentile, spacingJitter, summarize } from '../../bench/lib/stats';
import { wastedCalls } from '../../bench/measures/storm';

describe('bench statistics', () => {
  it('counts the most timestamps in any half-open 1 s window', () => {
    maxInWindow([0, 999, 1000, 1999], 1000).should.equal(2);
    maxInWindow([0, 1, 2, 1001], 1000).should.equal(3);
    maxInWindow([5, 0, 3], 1000).should.equal(3);
    maxInWindow([], 1000).should.equal(0);
  });

  it('measures the effective rate over the span and the jitter around the ideal spacing', () => {
    effectiveRate([0, 50, 100, 150, 200]).should.equal(20);
    should(effectiveRate([7])).be.NaN();
    spacingJitter([0, 50, 110, 150], 20).should.eql([0, 10, 10]);
  });

  it('summarizes runs by median and range', () => {
    summarize([3, 1, 2]).should.eql({ median: 2, min: 1, max: 3, runs: [3, 1, 2] });
    median([1, 2, 3, 4]).should.equal(2.5);
    percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99).should.equal(10);
    percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50).should.equal(5);
  });

  it('counts calls made while an earlier 429 asked to wait', () => {
    const q = (at: number, status: number) => ({ method: 'POST', path: '/x', status, at });
    // 429 at 0 opens [0, 5000): the call at 1000 is wasted and its own 429 extends the wait to 6000; the
    // probe at 6200 is not wasted, its 429 opens [6200, 11200), in which the call at 7000 is wasted.
    wastedCalls([q(0, 429), q(1000, 429), q(6200, 429), q(7000, 202), q(11_300, 202)], 5000).should.equal(2);
    wastedCalls([q(0, 202), q(10, 202)], 5000).should.equal(0);
  });
});
