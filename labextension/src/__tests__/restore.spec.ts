/**
 * The restores, resets and undos of a challenge notebook on their own,
 * against a fake client, dialogs and notebook: what is under way, what the
 * learner is told when a step fails, and which checkpoint an undo trusts.
 */

import { NotebookRestores, sameInstant } from '../restore';
import { fakeClient, fakeHost, fakeNotebook, httpError } from './utils';

describe('sameInstant', () => {
  it('compares checkpoint times as instants, however spelled', () => {
    expect(
      sameInstant('2026-11-24T14:40:00Z', '2026-11-24T14:40:00.000000+00:00')
    ).toBe(true);
    expect(
      sameInstant('2026-11-24T14:40:00Z', '2026-11-24T15:40:00+01:00')
    ).toBe(true);
    expect(sameInstant('2026-11-24T14:40:00Z', '2026-11-24T14:40:01Z')).toBe(
      false
    );
  });

  it('compares times that do not parse as text', () => {
    expect(sameInstant('yesterday', 'yesterday')).toBe(true);
    expect(sameInstant('yesterday', '2026-11-24T14:40:00Z')).toBe(false);
  });
});

function setup() {
  const host = fakeHost(true);
  const client = fakeClient();
  const changed = jest.fn();
  const restores = new NotebookRestores({
    challengeId: 'two-sum',
    client,
    host,
    changed
  });
  return { host, client, changed, restores, notebook: fakeNotebook() };
}

describe('NotebookRestores', () => {
  it('is busy while the server restores, and says so when done', async () => {
    const { client, changed, restores, notebook } = setup();
    let busyDuring: unknown = undefined;
    client.restore.mockImplementation(async () => {
      busyDuring = restores.busy;
      return {
        path: notebook.path,
        checkpoint: { id: 'cp', last_modified: '2026-11-24T14:40:00Z' }
      };
    });
    expect(await restores.restore('s1', notebook)).toBe(true);
    expect(busyDuring).toBe('restore');
    expect(restores.busy).toBeNull();
    expect(restores.undo).toEqual({
      path: notebook.path,
      submissionId: 's1',
      checkpoint: { id: 'cp', last_modified: '2026-11-24T14:40:00Z' }
    });
    expect(restores.notice).toEqual({
      text: `Restored the submission into ${notebook.path}.`,
      tone: 'info'
    });
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it("tells the server's reason when a restore or a reset fails, keeping the notebook", async () => {
    const { client, restores, notebook } = setup();
    client.restore.mockRejectedValue(httpError(404, 'No such submission'));
    expect(await restores.restore('gone', notebook)).toBe(false);
    expect(restores.notice).toEqual({
      text: 'Could not restore: No such submission',
      tone: 'error'
    });
    client.reset.mockRejectedValue(httpError(500, 'disk full'));
    expect(await restores.reset(notebook)).toBe(false);
    expect(client.reset).toHaveBeenCalledWith('two-sum');
    expect(restores.notice).toEqual({
      text: 'Could not reset: disk full',
      tone: 'error'
    });
    expect(notebook.revert).not.toHaveBeenCalled();
    expect(restores.undo).toBeNull();
    expect(restores.busy).toBeNull();
  });

  it('has nothing to undo before a restore', async () => {
    const { host, changed, restores, notebook } = setup();
    expect(await restores.undoRestore(notebook)).toBe(false);
    expect(host.listCheckpoints).not.toHaveBeenCalled();
    expect(changed).not.toHaveBeenCalled();
  });

  it('says why an undo failed and keeps what it would undo', async () => {
    const { host, client, restores, notebook } = setup();
    client.reset.mockResolvedValue({
      path: notebook.path,
      checkpoint: { id: 'cp', last_modified: '2026-11-24T14:40:00Z' }
    });
    expect(await restores.reset(notebook)).toBe(true);
    host.listCheckpoints.mockResolvedValue([
      { id: 'cp', last_modified: '2026-11-24T14:40:00Z' }
    ]);
    host.restoreCheckpoint.mockRejectedValue(new Error('permission denied'));
    expect(await restores.undoRestore(notebook)).toBe(false);
    expect(restores.notice).toEqual({
      text: 'Could not undo the restore: permission denied',
      tone: 'error'
    });
    expect(restores.undo).not.toBeNull();
    expect(restores.busy).toBeNull();
  });
});
