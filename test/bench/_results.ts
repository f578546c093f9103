/**
 * Every figure of a run: per round values under a stable key, with unit and label, plus the
 * raw detail of each measurement (wrk output, per-process memory, request counts) for the JSON.
 */
import { median } from './_measure.js';

export interface Figure {
  label: string;
  unit: string;
  values: number[];
}

export class Results {
  readonly figures = new Map<string, Figure>();
  readonly raw: Record<string, unknown[]> = {};
  readonly notes: string[] = [];

  add(key: string, label: string, unit: string, value: number, raw?: unknown): void {
    let figure = this.figures.get(key);
    if (!figure) {
      figure = { label, unit, values: [] };
      this.figures.set(key, figure);
    }
    if (!Number.isFinite(value)) throw new Error(`${key}: not a number (${value})`);
    figure.values.push(value);
    if (raw !== undefined) {
      this.raw[key] ??= [];
      this.raw[key].push(raw);
    }
  }

  get(key: string): Figure | undefined {
    return this.figures.get(key);
  }

  median(key: string): number | undefined {
    const f = this.figures.get(key);
    return f && f.values.length > 0 ? median(f.values) : undefined;
  }

  /** median(key) / median(reference), when both were measured. */
  ratio(key: string, reference: string): number | undefined {
    const a = this.median(key);
    const b = this.median(reference);
    return a === undefined || b === undefined || b === 0 ? undefined : a / b;
  }

  note(text: string): void {
    this.notes.push(text);
    console.error(`note: ${text}`);
  }

  toJSON(): Record<string, unknown> {
    const figures: Record<string, unknown> = {};
    for (const [key, f] of this.figures) {
      figures[key] = { label: f.label, unit: f.unit, median: median(f.values), min: Math.min(...f.values), max: Math.max(...f.values), values: f.values };
    }
    return { figures, raw: this.raw, notes: this.notes };
  }
}
