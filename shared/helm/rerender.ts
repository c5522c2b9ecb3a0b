// Chart-owned routing's re-render (the SlotRenderer port of core/rendering.ts): a slot's release is
// upgraded with new routing values and with the release's own chart, rebuilt from its helm record, so an
// old slot keeps its templates and version whatever chart this task was given
// (docs/decisions/0008-rerender-with-stored-chart.md). Every installed slot's chart is settled before the
// first re-render, so a slot that cannot be re-rendered stops the task before any routing changes.
import type { App, Slot } from '../core/model';
import { SLOTS, locate } from '../core/model';
import type { SlotRenderer, Values } from '../core/rendering';
import type { ChartInputs } from '../inputs/types';
import type { Kube } from '../kubernetes/client';
import { NO_FAIL_FAST, watchRollout } from '../kubernetes/rollout-watch';
import type { Helm } from './cli';
import { renderSlot, writeValuesFile } from './slot-release';
import { chartToRerender, checkRerenderable, rerenderCharts } from './stored-chart';

export interface StoredChartRendererOptions {
  helm: Helm;
  kube: Kube;
  app: App;
  /** The chart this task was given (Deploy), if any: used only where it is the slot's own chart. */
  chart: ChartInputs | undefined;
  workDir: string;
  podSelectorLabel: string;
  /** helm's --timeout for the re-render. */
  timeout: string;
  /** For helm's release description: the task that re-rendered. */
  task: string;
  info(line: string): void;
}

export class StoredChartRenderer implements SlotRenderer {
  private readonly charts = rerenderCharts();
  private rerenderable: Promise<void> | undefined;

  constructor(private readonly o: StoredChartRendererOptions) {}

  async render(slot: Slot, values: Values): Promise<void> {
    const { helm, kube, app, chart: input, workDir, timeout, info } = this.o;
    this.rerenderable ??= checkRerenderable(kube, SLOTS.map((s) => locate(app, s)), input, workDir, this.charts, helm);
    await this.rerenderable;
    const location = locate(app, slot);
    const { chart } = await chartToRerender(helm, kube, location, input, workDir, this.charts);
    info(`  re-rendering slot ${slot} with ${chart.describe}`);
    const file = writeValuesFile(workDir, `routing-${slot}-${Date.now()}`, values);
    // Progress while helm waits, and the pods' state in the error; never fail-fast: the slot may be production.
    const watch = { kube, target: { location, podSelector: this.o.podSelectorLabel }, rules: NO_FAIL_FAST, helmTimeout: timeout, info };
    await watchRollout(watch, () => renderSlot(helm, location, chart, file, timeout, `blue/green ${this.o.task}: routing of slot ${slot}`));
  }
}
