/**
 * The user's settings (schema/plugin.json) read into the model, and read
 * again each time they change in the Settings Editor.
 */

import type { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CodeQuestModel, DEFAULT_SETTINGS, ICodeQuestSettings } from './model';

/**
 * The settings the model runs with, from the registry's composite values;
 * a value the registry lacks takes its default.
 */
export function settingsFrom(
  composite: Partial<ICodeQuestSettings>
): ICodeQuestSettings {
  return {
    autoSave: composite.autoSave ?? DEFAULT_SETTINGS.autoSave,
    confetti: composite.confetti ?? DEFAULT_SETTINGS.confetti,
    revealPanelOnRun:
      composite.revealPanelOnRun ?? DEFAULT_SETTINGS.revealPanelOnRun
  };
}

/**
 * Load the plugin's settings into the model and follow their changes. Settings
 * that cannot be loaded leave the defaults in place, and say so in the console.
 */
export function followSettings(
  registry: Pick<ISettingRegistry, 'load'>,
  pluginId: string,
  model: CodeQuestModel
): Promise<void> {
  const apply = (settings: ISettingRegistry.ISettings) => {
    model.updateSettings(
      settingsFrom(settings.composite as Partial<ICodeQuestSettings>)
    );
  };
  return registry
    .load(pluginId)
    .then(settings => {
      apply(settings);
      settings.changed.connect(apply);
    })
    .catch(reason => {
      console.error('codequest: could not load settings', reason);
    });
}
