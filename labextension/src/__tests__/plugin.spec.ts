/**
 * The plugin's pure parts, without JupyterLab: the settings read into the
 * model, and what the panel says of a notebook the server cannot read.
 */

import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';

import { DEFAULT_SETTINGS } from '../model';
import { unreadableReason } from '../panels';
import { followSettings, settingsFrom } from '../settings';
import { fakeClient, makeModel, trans } from './utils';

describe('settingsFrom', () => {
  it('takes the defaults for values the registry lacks', () => {
    expect(settingsFrom({})).toEqual(DEFAULT_SETTINGS);
    expect(settingsFrom({ confetti: false })).toEqual({
      ...DEFAULT_SETTINGS,
      confetti: false
    });
  });

  it('keeps every value turned off', () => {
    expect(
      settingsFrom({
        autoSave: false,
        confetti: false,
        revealPanelOnRun: false
      })
    ).toEqual({ autoSave: false, confetti: false, revealPanelOnRun: false });
  });
});

/** A loaded ISettings look-alike whose composite values the test changes. */
function fakeSettings(composite: { [key: string]: unknown }) {
  const settings = { composite } as unknown as ISettingRegistry.ISettings & {
    composite: { [key: string]: unknown };
  };
  const changed = new Signal<ISettingRegistry.ISettings, void>(settings);
  Object.assign(settings, { changed });
  return { settings, changed };
}

describe('followSettings', () => {
  it('loads the settings into the model and follows their changes', async () => {
    const model = makeModel(fakeClient());
    const { settings, changed } = fakeSettings({ autoSave: false });
    const load = jest.fn().mockResolvedValue(settings);
    await followSettings({ load }, 'codequest-jupyter:plugin', model);
    expect(load).toHaveBeenCalledWith('codequest-jupyter:plugin');
    expect(model.settings).toEqual({ ...DEFAULT_SETTINGS, autoSave: false });

    settings.composite = { autoSave: true, revealPanelOnRun: false };
    changed.emit();
    expect(model.settings).toEqual({
      ...DEFAULT_SETTINGS,
      revealPanelOnRun: false
    });
  });

  it('keeps the defaults when the settings cannot be loaded', async () => {
    const model = makeModel(fakeClient());
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const load = jest.fn().mockRejectedValue(new Error('no schema'));
      await followSettings({ load }, 'codequest-jupyter:plugin', model);
      expect(model.settings).toEqual(DEFAULT_SETTINGS);
      expect(error).toHaveBeenCalledWith(
        'codequest: could not load settings',
        expect.any(Error)
      );
    } finally {
      error.mockRestore();
    }
  });
});

describe('unreadableReason', () => {
  it('says a notebook is not valid JSON without the server path', () => {
    expect(
      unreadableReason(
        "Unreadable Notebook: /srv/home/alice/codequest/two-sum/two_sum.ipynb NotJSONError('Notebook does not appear to be JSON: \\'{\"cells\": [\\'')",
        trans
      )
    ).toBe('it is not valid JSON');
    expect(
      unreadableReason('Notebook does not appear to be JSON: ...', trans)
    ).toBe('it is not valid JSON');
  });

  it("passes any other reason on as the server's message", () => {
    expect(unreadableReason('Permission denied: two_sum.ipynb', trans)).toBe(
      'Permission denied: two_sum.ipynb'
    );
  });
});
