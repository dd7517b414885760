import path from 'node:path';
import type { z } from 'zod';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { eventByDetailType, type EventDefinition } from '../../core/events/catalog';
import type { ObjectStore } from '../../core/ports/object-store';

/**
 * The bucket name events carry in an offline run. The outbox writes `s3://<LOCAL_BUCKET>/<key>`
 * back as the file's path, so an email points at the folder it describes.
 */
export const LOCAL_BUCKET = 'cdp-local-run';

/** An event the run would have put on the bus, validated against the catalog. */
export interface PublishedEvent {
  readonly detailType: string;
  readonly detail: unknown;
  readonly time: string;
}

/** What a stage tells the summary. */
export interface StageReport {
  /** One line for the summary table. */
  readonly summary: string;
  /** Named counts for `--json` and the report. */
  readonly counts?: Readonly<Record<string, number>>;
  /** Problems that did not stop the run (rows quarantined, …). */
  readonly warnings?: readonly string[];
}

/** Progress of a stage: a total and an advance, shown as a bar on a terminal. */
export interface Progress {
  start(total: number, unit: string): void;
  update(done: number): void;
}

/** Everything the stages share: where they read, where they write, what they emitted. */
export class RunContext {
  /** The run's output folder, laid out like the S3 zones. */
  readonly dir: string;
  /** The run's folder as an ObjectStore: `trusted/…`, `quarantine/…`, `segments/…`, `audiences/…`, `scores/…`. */
  readonly zones: ObjectStore;
  /** The input folder, laid out like the landing zone. */
  readonly landing: LocalObjectStore;
  readonly events: PublishedEvent[] = [];
  /** Facts stages leave for later stages and for the report. */
  readonly facts = new Map<string, unknown>();

  constructor(
    readonly folder: string,
    out: string,
    readonly run: string,
    /** The clock, for event times and the ingest date. */
    readonly now: () => Date = () => new Date(),
  ) {
    this.dir = path.join(out, run);
    this.zones = new LocalObjectStore({ root: this.dir });
    this.landing = new LocalObjectStore({ root: folder });
  }

  /** Records an event the cloud workflow would emit; its detail must match the catalog. */
  publish<E extends EventDefinition>(event: E, detail: z.input<E['schema']>): void {
    const parsed = event.schema.parse(detail);
    this.events.push({ detailType: event.detailType, detail: parsed, time: this.now().toISOString() });
  }

  /** Records an event built elsewhere (an outcome step's), validated by its detail-type. */
  publishBuilt(event: { readonly detailType: string; readonly detail: unknown }): void {
    const definition = eventByDetailType(event.detailType);
    if (!definition) throw new Error(`${event.detailType} is not in the event catalog`);
    this.publish(definition, event.detail as never);
  }

  /** An S3 location in an event, for a key of this run's folder. */
  location(key: string): { bucket: string; key: string } {
    return { bucket: LOCAL_BUCKET, key };
  }
}
