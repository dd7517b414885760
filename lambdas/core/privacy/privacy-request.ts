import type { NormaliseOptions } from '../ingest/column-types';
import type { DeletableObjectStore } from '../ports/object-store';
import { areaOf, findCandidates } from './candidates';
import { INDEX_PREFIX, indexKeyOf, KeyIndexBuilder, writeKeyIndex } from './key-index';
import { buildExport, EXPORTS_PREFIX, type ExportFinding, writeExport } from './access-export';
import { SubjectMatcher } from './matcher';
import { passObject } from './object-formats';
import { type RequestRecord, type StoreOutcome, writeRecord } from './request-record';
import { resolveSubjects, type SubjectIdentifiers } from './resolve-subject';
import { applySwaps, commitSwaps, completeSwaps, discardStaging, stagedKeyOf, type SwapEntry } from './swap';
import { suppressionHashes, writeSuppression } from './suppression';
import { type PrivacyAction, type Subject, subjectHash } from './subject';
import { purgeNoncurrentVersions } from './versions';

/** One place the subject's data may be: a bucket (a folder offline) with a name for the record. */
export interface PrivacyZone {
  /** `landing`, `trusted`, `quarantine`, … (offline: `output`). */
  readonly name: string;
  readonly store: DeletableObjectStore;
}

export interface PrivacyRequestInput {
  /** Names the record, the export and the staging: `[A-Za-z0-9._-]`, given by the caller. */
  readonly requestId: string;
  readonly action: PrivacyAction;
  /** One for access; one or more for erasure (a batch of requests erased in one pass). */
  readonly subjects: readonly Subject[];
  readonly salt: Uint8Array;
  /** The clock (the core reads none). */
  readonly now: () => Date;
  readonly normalise?: NormaliseOptions;
  /**
   * Leave the record `open` without `finishedAt` (the cloud workflow still has stores outside the
   * lake to erase; its last step closes the record with `closeRecord`).
   */
  readonly leaveOpen?: boolean;
}

export interface PrivacyStores {
  /** Holds the identity tables, the suppression list, the records and the exports. */
  readonly trusted: DeletableObjectStore;
  /** Every zone to search (the trusted one included). */
  readonly zones: readonly PrivacyZone[];
}

export interface PrivacyOutcome {
  readonly record: RequestRecord;
  readonly recordKey: string;
  /** Access: the export's JSON and Markdown keys in the trusted store. */
  readonly export?: { readonly json: string; readonly markdown: string };
  readonly identifiers: readonly SubjectIdentifiers[];
  /** What was read and rewritten: the measure of "touch only what holds the subject". */
  readonly io: {
    listed: number;
    read: number;
    holding: number;
    rewritten: number;
    deleted: number;
    /** Non-current versions (versioned buckets) read, and deleted because they held the subject. */
    versionsRead: number;
    versionsDeleted: number;
    /** Objects left unread because their key index holds none of the subjects. */
    skippedByIndex: number;
    /** Key indexes read (small) and written (for objects read without a current one, or rewritten). */
    indexesRead: number;
    indexesWritten: number;
  };
}

/**
 * Runs one privacy request over the lake: resolves the subjects through the identity map, finds
 * the objects that can hold them from the layout, and either collects every record (access) or
 * rewrites each object without them, aside then swapped (erasure), after adding them to the
 * suppression list. The record holds hashes and counts only.
 */
export async function runPrivacyRequest(
  stores: PrivacyStores,
  input: PrivacyRequestInput,
): Promise<PrivacyOutcome> {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(input.requestId))
    throw new Error(`request ID ${input.requestId} is not [A-Za-z0-9._-]`);
  if (input.action === 'access' && input.subjects.length !== 1)
    throw new Error('an access request names one subject');
  for (const zone of stores.zones) await completeSwaps(zone.store);

  const startedAt = input.now().toISOString();
  const record: RequestRecord = {
    requestId: input.requestId,
    action: input.action,
    subjects: input.subjects.map((subject) => ({
      kind: subject.kind,
      hash: subjectHash(input.salt, subject),
    })),
    status: 'open',
    startedAt,
    stores: [],
  };
  const recordKey = await writeRecord(stores.trusted, record);

  const identifiers = await resolveSubjects(stores.trusted, input.subjects);
  const matcher = new SubjectMatcher(identifiers, input.normalise);
  if (input.action === 'erase') {
    const hashes = suppressionHashes(input.salt, identifiers);
    await writeSuppression(stores.trusted, input.requestId, hashes);
    record.stores.push({
      store: 'suppression list',
      action: 'added salted hashes',
      objects: 1,
      rows: hashes.length,
      status: 'done',
    });
  }

  const io = {
    listed: 0,
    read: 0,
    holding: 0,
    rewritten: 0,
    deleted: 0,
    versionsRead: 0,
    versionsDeleted: 0,
    skippedByIndex: 0,
    indexesRead: 0,
    indexesWritten: 0,
  };
  const indexKeys = matcher.indexKeys();
  const findings: ExportFinding[] = [];
  const areas = new Map<string, StoreOutcome & { objects: number; rows: number }>();
  const versionAreas: StoreOutcome[] = [];
  for (const zone of stores.zones) {
    const candidates = await findCandidates(zone.store, identifiers, {
      exports: input.action === 'erase',
      indexKeys,
    });
    io.listed += candidates.objects.length + Object.values(candidates.skipped).reduce((a, b) => a + b, 0);
    io.skippedByIndex += candidates.skipped['key-index'];
    io.indexesRead += candidates.indexesRead;
    const swaps: SwapEntry[] = [];
    /** Rewritten objects -> the index of what they keep, written once they are swapped in. */
    const reindex = new Map<string, KeyIndexBuilder>();
    for (const object of candidates.objects) {
      io.read++;
      const found: ExportFinding[] = [];
      const builder = candidates.unindexed.has(object.key) ? new KeyIndexBuilder() : undefined;
      const scan = await passObject(
        zone.store,
        object.key,
        matcher,
        (f) => found.push({ ...f, zone: zone.name, key: object.key, lastModified: object.lastModified }),
        undefined,
        builder && ((cells) => builder.addCells(cells)),
      );
      // An object read whole without a current index gets one, so the next request can skip it.
      if (builder && (scan.removed === 0 || input.action === 'access')) {
        await writeKeyIndex(zone.store, object, builder);
        io.indexesWritten++;
      }
      if (scan.removed === 0) continue;
      io.holding++;
      const areaName = `${zone.name}: ${areaOf(object.key)}`;
      let area = areas.get(areaName);
      if (!area) {
        area = {
          store: areaName,
          action: input.action === 'access' ? 'exported rows' : 'removed rows',
          objects: 0,
          rows: 0,
          status: 'done',
        };
        areas.set(areaName, area);
      }
      area.objects++;
      area.rows += scan.removed;
      if (input.action === 'access') {
        findings.push(...found);
        continue;
      }
      if (scan.wholeObject) {
        swaps.push({ key: object.key, action: 'delete' });
        if (!object.key.startsWith('privacy/')) swaps.push({ key: indexKeyOf(object.key), action: 'delete' });
        // An earlier access export goes whole, its readable copy with it.
        if (object.key.startsWith(EXPORTS_PREFIX))
          swaps.push({ key: object.key.replace(/\.json$/, '.md'), action: 'delete' });
        continue;
      }
      const kept = new KeyIndexBuilder();
      await passObject(
        zone.store,
        object.key,
        matcher,
        () => undefined,
        { store: zone.store, key: stagedKeyOf(input.requestId, object.key) },
        (cells) => kept.addCells(cells),
      );
      swaps.push({ key: object.key, action: 'replace' });
      if (!object.key.startsWith('privacy/')) {
        swaps.push({ key: indexKeyOf(object.key), action: 'delete' }); // it may name the subject
        reindex.set(object.key, kept);
      }
    }
    if (input.action === 'erase' && swaps.length > 0) {
      await commitSwaps(zone.store, input.requestId, swaps);
      await applySwaps(zone.store, input.requestId);
      await discardStaging(zone.store, input.requestId);
      io.rewritten += swaps.filter((s) => s.action === 'replace').length;
      io.deleted += swaps.filter((s) => s.action === 'delete' && !s.key.startsWith(INDEX_PREFIX)).length;
      if (zone.store.versions) {
        // The data objects' old bytes; an old key index holds only Bloom bits of hashed keys.
        const keys = swaps.map((swap) => swap.key).filter((key) => !key.startsWith(INDEX_PREFIX));
        const purged = await purgeNoncurrentVersions(zone.store.versions, keys, matcher);
        io.versionsRead += purged.read;
        io.versionsDeleted += purged.deleted;
        if (purged.read > 0)
          versionAreas.push({
            store: `${zone.name}: non-current versions`,
            action: 'deleted versions holding the subject',
            objects: purged.deleted,
            rows: purged.rows,
            status: 'done',
          });
      }
      // The old index may still name the erased subject: each rewritten object gets a new one, built
      // from the rows it kept. A crash before this leaves an index that no longer describes the
      // object (new size and time), which is ignored, so the object is read next time.
      for (const [key, kept] of reindex) {
        const info = await zone.store.head(key);
        if (!info) continue;
        await writeKeyIndex(zone.store, info, kept);
        io.indexesWritten++;
      }
    }
  }
  record.stores.push(...areas.values(), ...versionAreas);

  let exported: PrivacyOutcome['export'];
  if (input.action === 'access') {
    const document = buildExport(input.requestId, input.subjects[0]!, identifiers[0]!, findings, input.now());
    exported = await writeExport(stores.trusted, document);
    record.stores.push({
      store: 'access export',
      action: 'wrote JSON and Markdown',
      objects: 2,
      rows: findings.length,
      status: 'done',
    });
  }
  if (!input.leaveOpen) {
    record.status = 'completed';
    record.finishedAt = input.now().toISOString();
  }
  await writeRecord(stores.trusted, record);
  return { record, recordKey, export: exported, identifiers, io };
}
