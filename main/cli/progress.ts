import type { ScoutEvent } from '../../shared/api/contract';
import type { TrialValues } from '../../shared/space/types';
import type { StudyRecord } from '../../shared/study';
import type { StudyService } from '../core/service';
import { formatNumber, formatValue } from './format';

function describeValues(values: TrialValues): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${formatValue(value)}`)
    .join(' ');
}

/**
 * Prints a study's progress while it runs. On a terminal it redraws a live
 * line with the running trials' epoch and metric and adds one permanent line
 * per finished trial. Elsewhere (a pipe, a CI log) it prints only the
 * permanent lines.
 */
export class ProgressPrinter {
  private readonly live = new Map<number, string>();
  private readonly values = new Map<number, TrialValues>();
  private finished = 0;
  private readonly interactive: boolean;

  constructor(
    private readonly study: StudyRecord,
    private readonly output: NodeJS.WriteStream = process.stdout,
  ) {
    this.interactive = Boolean(output.isTTY);
    this.finished = study.completedTrials + study.failedTrials;
  }

  /** Subscribes to `service`; returns a function that unsubscribes. */
  attach(service: StudyService): () => void {
    return service.onEvent((event) => this.handle(event));
  }

  private handle(event: ScoutEvent): void {
    if (event.studyId !== this.study.id) {
      return;
    }

    const metric = this.study.settings.objective.metric;
    switch (event.type) {
      case 'trial-epoch': {
        const value = formatNumber(event.metrics[metric]);
        this.live.set(
          event.number,
          `#${event.number} ${event.epoch}/${event.epochs} ${metric} ${value}`,
        );
        this.redraw();
        break;
      }
      case 'trial-started':
        this.values.set(event.number, event.values);
        this.live.set(event.number, `#${event.number} starting`);
        this.redraw();
        break;
      case 'trial-ended':
        this.live.delete(event.number);
        this.finished += 1;
        this.printLine(this.describeEnd(event));
        break;
      case 'study-status':
        break;
    }
  }

  private describeEnd(event: Extract<ScoutEvent, { type: 'trial-ended' }>): string {
    const planned = this.study.plannedTrials;
    const position = `trial ${String(event.number).padStart(String(planned).length)}/${planned}`;
    const metric = this.study.settings.objective.metric;
    const values = describeValues(this.values.get(event.number) ?? {});
    this.values.delete(event.number);

    if (event.status === 'completed') {
      const objective = formatNumber(event.objective);
      return `${position}  ${metric} ${objective}  [${event.backend}]  ${values}`;
    }
    return `${position}  ${event.status}: ${event.error ?? 'no reason recorded'}  ${values}`;
  }

  private printLine(line: string): void {
    if (this.interactive) {
      this.output.write('\r\x1b[2K');
    }
    this.output.write(`${line}\n`);
    this.redraw();
  }

  private redraw(): void {
    if (!this.interactive) {
      return;
    }

    const running = [...this.live.values()].join('  |  ');
    const status = `[${this.finished}/${this.study.plannedTrials}] ${running}`;
    const width = this.output.columns ?? 100;
    this.output.write(`\r\x1b[2K${status.slice(0, width - 1)}`);
  }

  /** Clears the live line before other output. */
  close(): void {
    if (this.interactive) {
      this.output.write('\r\x1b[2K');
    }
  }
}
