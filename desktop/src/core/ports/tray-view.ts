// TrayView port: the tray icon and its menu, redrawn from one model by one render call
// (as Signal Desktop's SystemTrayService does). The model is built by core/tray/tray-model.ts.
import type { TrayModel } from '../../shared/state.ts';

export interface TrayView {
  render(model: TrayModel): void;
}
