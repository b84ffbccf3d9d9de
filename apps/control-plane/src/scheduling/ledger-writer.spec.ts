import { LedgerWriter } from './ledger-writer';
import { allocationRow as row } from './test/builders';
import { InvariantLedger } from './test/in-memory-ports';

/** A ledger whose next writes fail, as a database that went away. */
class FlakyLedger extends InvariantLedger {
  failures = 0;
  override async markBound(podUids: readonly string[]): Promise<void> {
    if (this.failures > 0 && this.failures--) throw new Error('connection refused');
    return super.markBound(podUids);
  }
}

describe('LedgerWriter', () => {
  it('writes bound marks and releases in batches and keeps what could not be written for the next flush', async () => {
    const ledger = new FlakyLedger();
    for (const uid of ['a', 'b', 'c']) ledger.rows.set(uid, row(uid));
    const writer = new LedgerWriter(ledger);
    writer.markBound('a');
    writer.markBound('b');
    writer.release('c');
    ledger.failures = 1;
    await expect(writer.flush()).rejects.toThrow(/connection refused/);
    expect([...ledger.rows.values()].map((r) => [r.podUid, r.state])).toEqual([
      ['a', 'reserved'],
      ['b', 'reserved'],
      ['c', 'reserved'],
    ]);
    await writer.flush();
    expect([...ledger.rows.values()].map((r) => [r.podUid, r.state])).toEqual([
      ['a', 'bound'],
      ['b', 'bound'],
    ]);
  });

  it('a release cancels an unwritten bound mark', async () => {
    const ledger = new InvariantLedger();
    ledger.rows.set('a', row('a'));
    const writer = new LedgerWriter(ledger);
    writer.markBound('a');
    writer.release('a');
    await writer.flush();
    expect(ledger.rows.size).toBe(0);
  });

  it('a pod gone after an unanswered commit has its possible row released; a settled one does not', async () => {
    const ledger = new InvariantLedger();
    for (const uid of ['a', 'b']) ledger.rows.set(uid, row(uid));
    const writer = new LedgerWriter(ledger);
    writer.commitUncertain('a');
    writer.commitUncertain('b');
    writer.commitSettled('b');
    writer.podGone('a');
    writer.podGone('b');
    await writer.flush();
    expect([...ledger.rows.keys()]).toEqual(['b']);
  });

  it('stale rows are released; a second time for the same pod is reported, and a new term forgets both', async () => {
    const ledger = new InvariantLedger();
    ledger.rows.set('a', row('a'));
    const writer = new LedgerWriter(ledger);
    expect(writer.releaseStale([row('a')])).toBe(false);
    await writer.flush();
    expect(ledger.rows.size).toBe(0);
    expect(writer.releaseStale([row('a')])).toBe(true);
    writer.clear();
    expect(writer.releaseStale([row('a')])).toBe(false);
  });
});
