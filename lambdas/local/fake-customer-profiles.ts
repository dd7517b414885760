import { createReadStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  BadRequestException,
  ResourceNotFoundException,
  ThrottlingException,
  type SegmentGroupStructure,
} from '@aws-sdk/client-customer-profiles';
import type { CustomerProfilesSender } from '../adapters/customer-profiles-membership';
import { seededRandom } from './seeded-random';

/**
 * A fake of the Amazon Connect Customer Profiles calls the Connect destination makes (a test and
 * offline double, never deployed): one domain's profiles, attributes, object types, segment
 * definitions and estimates, in memory, optionally saved to a folder (`cdp activate --local`).
 *
 * It answers the SDK's command objects, so the real adapter runs against it unchanged, and it
 * refuses what the service documents it refuses (limits below, from the API reference and the
 * Amazon Connect service quotas page):
 *  - DomainName 1–64 `[a-zA-Z0-9_-]`; ObjectTypeName 1–255 `^[a-zA-Z_][a-zA-Z_0-9-]*$`;
 *  - PutProfileObject `Object` 1–256,000 characters; a profile object at most 250 KB;
 *  - object types per domain 100; keys per object type 10; objects per profile 1,000;
 *  - attribute keys 1–255 `^[a-zA-Z_][a-zA-Z_0-9-]*$`, values 1–255 (empty in UpdateProfile removes);
 *  - SearchProfiles KeyName 1–64 `[a-zA-Z0-9_-]`, each value 1–255, MaxResults 1–100;
 *  - SegmentDefinitionName 1–64 `[a-zA-Z0-9_-]`; at most 50 values in a dimension;
 *  - per-API request rates, per account and region: PutProfileObject, UpdateProfile, SearchProfiles,
 *    CreateProfile 100/s; PutProfileObjectType 1/s; GetProfileObjectType 10/s (token buckets, burst
 *    = one second's worth; `rateScale` multiplies them for benchmarks).
 * Throttling can also be injected: `throttleProbability` refuses that share of profile calls with
 * a ThrottlingException, from a seeded generator so runs repeat.
 */

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TYPE_NAME = /^[a-zA-Z_][a-zA-Z_0-9-]{0,254}$/;
const ATTRIBUTE_KEY = /^[a-zA-Z_][a-zA-Z_0-9-]{0,254}$/;
const MAX_OBJECT_CHARS = 256_000;
const MAX_OBJECT_BYTES = 250 * 1024;
const MAX_OBJECT_TYPES = 100;
const MAX_KEYS_PER_TYPE = 10;
const MAX_OBJECTS_PER_PROFILE = 1000;
const MAX_DIMENSION_VALUES = 50;

/** Default TPS per API (Amazon Connect service quotas, Customer Profiles API throttling quotas). */
export const CUSTOMER_PROFILES_TPS: Readonly<Record<string, number>> = {
  PutProfileObject: 100,
  UpdateProfile: 100,
  SearchProfiles: 100,
  CreateProfile: 100,
  PutProfileObjectType: 1,
  GetProfileObjectType: 10,
};
const PROFILE_CALLS = new Set(['PutProfileObject', 'UpdateProfile', 'SearchProfiles', 'CreateProfile']);

export interface FakeCustomerProfilesOptions {
  readonly domainName: string;
  /** Share (0–1) of profile calls refused as throttled, on top of the rate limits. */
  readonly throttleProbability?: number;
  /** Multiplies every per-API rate (1 = the documented defaults). Infinity turns rate limits off. */
  readonly rateScale?: number;
  readonly seed?: number;
  readonly now?: () => number;
  /** GetSegmentEstimate polls answered RUNNING before the estimate is there. */
  readonly estimatePolls?: number;
}

/** A command's input: many shapes, each field checked where the fake reads it, as the service would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

interface ObjectType {
  readonly allowProfileCreation: boolean;
  readonly fields: Record<string, { Source?: string; Target?: string }>;
  readonly keys: Record<string, { StandardIdentifiers?: string[]; FieldNames?: string[] }[]>;
}

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const badRequest = (message: string) => new BadRequestException({ message, ...meta(400) });
const notFound = (message: string) => new ResourceNotFoundException({ message, ...meta(404) });

export class FakeCustomerProfiles implements CustomerProfilesSender {
  readonly domainName: string;
  /** Calls answered (not refused), per API. */
  readonly calls = new Map<string, number>();
  /** Calls refused as throttled, per API. */
  readonly throttled = new Map<string, number>();
  /** Objects put for a key no profile has, with profile creation off: stored nowhere. */
  unmatchedObjects = 0;

  private readonly profileByKey = new Map<string, Map<string, number>>();
  private readonly profileIds: string[] = [];
  private readonly objectCounts: number[] = [];
  /** attribute → profile index → value. */
  private readonly attributes = new Map<string, Map<number, string>>();
  private readonly objectTypes = new Map<string, ObjectType>();
  /** object type → profiles holding an object of it. */
  private readonly objectHolders = new Map<string, Set<number>>();
  private readonly segments = new Map<string, SegmentGroupStructure>();
  private readonly estimates = new Map<string, { size: number; polls: number }>();
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  private random: () => number;
  private readonly options: FakeCustomerProfilesOptions;

  constructor(options: FakeCustomerProfilesOptions) {
    if (!NAME.test(options.domainName)) throw new Error(`invalid domain name ${options.domainName}`);
    this.domainName = options.domainName;
    this.options = options;
    this.random = seededRandom(options.seed ?? 1);
  }

  /** Adds a profile with its key (e.g. `_account` = the user ID); returns its ID. */
  addProfile(keyName: string, keyValue: string): string {
    const index = this.profileIds.length;
    const profileId = `p${index.toString(16).padStart(8, '0')}`;
    this.profileIds.push(profileId);
    this.objectCounts.push(0);
    this.keyIndex(keyName).set(keyValue, index);
    return profileId;
  }

  /** Key values of the profiles whose attribute has this value. */
  *membersOf(attribute: string, value = 'IN', keyName = '_account'): Generator<string> {
    const values = this.attributes.get(attribute);
    if (!values) return;
    for (const [keyValue, index] of this.keyIndex(keyName)) if (values.get(index) === value) yield keyValue;
  }

  get profileCount(): number {
    return this.profileIds.length;
  }

  async send(command: object): Promise<unknown> {
    const api = command.constructor.name.replace(/Command$/, '');
    const input = (command as { input: Input }).input;
    if (input.DomainName !== this.domainName) throw notFound(`domain ${String(input.DomainName)} not found`);
    this.admit(api);
    const result = this.handle(api, input);
    this.calls.set(api, (this.calls.get(api) ?? 0) + 1);
    return result;
  }

  private admit(api: string): void {
    const throttle = (): never => {
      this.throttled.set(api, (this.throttled.get(api) ?? 0) + 1);
      throw new ThrottlingException({ message: 'Rate exceeded', ...meta(429) });
    };
    if (PROFILE_CALLS.has(api) && this.random() < (this.options.throttleProbability ?? 0)) throttle();
    const tps = (CUSTOMER_PROFILES_TPS[api] ?? 5) * (this.options.rateScale ?? 1);
    if (!Number.isFinite(tps)) return;
    const now = (this.options.now ?? Date.now)();
    const bucket = this.buckets.get(api) ?? { tokens: tps, last: now };
    bucket.tokens = Math.min(tps, bucket.tokens + ((now - bucket.last) * tps) / 1000);
    bucket.last = now;
    this.buckets.set(api, bucket);
    if (bucket.tokens < 1) throttle();
    bucket.tokens -= 1;
  }

  private handle(api: string, input: Input): unknown {
    switch (api) {
      case 'GetProfileObjectType': {
        const type = this.objectTypes.get(input.ObjectTypeName);
        if (!type) throw notFound(`object type ${input.ObjectTypeName} not found`);
        return { ObjectTypeName: input.ObjectTypeName, AllowProfileCreation: type.allowProfileCreation };
      }
      case 'PutProfileObjectType':
        return this.putObjectType(input);
      case 'PutProfileObject':
        return this.putObject(input);
      case 'SearchProfiles':
        return this.search(input);
      case 'UpdateProfile':
        return this.update(input);
      case 'CreateProfile': {
        const profileId = this.addProfile('_account', requireValue(input.AccountNumber, 'AccountNumber'));
        this.setAttributes(this.profileIds.length - 1, input.Attributes ?? {}, false);
        return { ProfileId: profileId };
      }
      case 'GetSegmentDefinition': {
        const query = this.segments.get(input.SegmentDefinitionName);
        if (!query) throw notFound(`segment definition ${input.SegmentDefinitionName} not found`);
        return { SegmentDefinitionName: input.SegmentDefinitionName, SegmentGroups: query };
      }
      case 'CreateSegmentDefinition': {
        if (!NAME.test(input.SegmentDefinitionName ?? ''))
          throw badRequest('SegmentDefinitionName must be 1-64 characters of [a-zA-Z0-9_-]');
        if (this.segments.has(input.SegmentDefinitionName))
          throw badRequest(`segment definition ${input.SegmentDefinitionName} already exists`);
        this.segments.set(input.SegmentDefinitionName, checkQuery(input.SegmentGroups));
        return { SegmentDefinitionName: input.SegmentDefinitionName };
      }
      case 'CreateSegmentEstimate': {
        const estimateId = `est-${this.estimates.size + 1}`;
        this.estimates.set(estimateId, { size: this.count(checkQuery(input.SegmentQuery)), polls: 0 });
        return { EstimateId: estimateId, StatusCode: 201 };
      }
      case 'GetSegmentEstimate': {
        const estimate = this.estimates.get(input.EstimateId);
        if (!estimate) throw notFound(`estimate ${input.EstimateId} not found`);
        estimate.polls++;
        if (estimate.polls <= (this.options.estimatePolls ?? 1)) return { Status: 'RUNNING' };
        return { Status: 'SUCCEEDED', Estimate: String(estimate.size) };
      }
      default:
        throw badRequest(`the fake does not implement ${api}`);
    }
  }

  private putObjectType(input: Input): unknown {
    if (!TYPE_NAME.test(input.ObjectTypeName ?? ''))
      throw badRequest('ObjectTypeName must match ^[a-zA-Z_][a-zA-Z_0-9-]*$, 1-255 characters');
    if (!this.objectTypes.has(input.ObjectTypeName) && this.objectTypes.size >= MAX_OBJECT_TYPES)
      throw badRequest(`a domain holds at most ${MAX_OBJECT_TYPES} object types`);
    const keys = input.Keys ?? {};
    if (Object.keys(keys).length > MAX_KEYS_PER_TYPE)
      throw badRequest(`an object type has at most ${MAX_KEYS_PER_TYPE} keys`);
    for (const field of Object.values(input.Fields ?? {}) as { Target?: string }[]) {
      const attribute = /^_profile\.Attributes\.(.+)$/.exec(field.Target ?? '')?.[1];
      if (attribute !== undefined && !ATTRIBUTE_KEY.test(attribute))
        throw badRequest(`attribute key ${attribute} is not valid`);
    }
    this.objectTypes.set(input.ObjectTypeName, {
      allowProfileCreation: input.AllowProfileCreation === true,
      fields: input.Fields ?? {},
      keys,
    });
    return { ObjectTypeName: input.ObjectTypeName };
  }

  private putObject(input: Input): unknown {
    const type = this.objectTypes.get(input.ObjectTypeName);
    if (!type) throw notFound(`object type ${input.ObjectTypeName} not found`);
    const text = requireValue(input.Object, 'Object');
    if (text.length > MAX_OBJECT_CHARS || Buffer.byteLength(text) > MAX_OBJECT_BYTES)
      throw badRequest('Object is larger than 256,000 characters / 250 KB');
    let source: Record<string, unknown>;
    try {
      source = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw badRequest('Object is not JSON');
    }
    const valueOf = (sourcePath: string | undefined) =>
      sourcePath?.startsWith('_source.') ? source[sourcePath.slice('_source.'.length)] : undefined;
    // The first PROFILE key whose field holds a value finds the profile.
    let profile: number | undefined;
    let profileKey: { name: string; value: string } | undefined;
    for (const [keyName, definitions] of Object.entries(type.keys)) {
      for (const definition of definitions) {
        if (!definition.StandardIdentifiers?.includes('PROFILE')) continue;
        const field = type.fields[definition.FieldNames?.[0] ?? ''];
        const value = valueOf(field?.Source);
        if (typeof value !== 'string' || value.length === 0) continue;
        if (value.length > 255) throw badRequest(`key ${keyName} is longer than 255 characters`);
        profileKey ??= { name: keyName, value };
        profile ??= this.profileByKey.get(keyName)?.get(value);
      }
    }
    if (!profileKey) throw badRequest('the object has no value for a PROFILE key of its type');
    if (profile === undefined) {
      if (!type.allowProfileCreation) {
        this.unmatchedObjects++;
        return { ProfileObjectUniqueKey: `unmatched-${this.unmatchedObjects}` };
      }
      this.addProfile(profileKey.name, profileKey.value);
      profile = this.profileIds.length - 1;
    }
    // UNIQUE key: a user's object of this type is rewritten in place; only the first one counts.
    let holders = this.objectHolders.get(input.ObjectTypeName);
    if (!holders) this.objectHolders.set(input.ObjectTypeName, (holders = new Set()));
    if (!holders.has(profile)) {
      if (this.objectCounts[profile]! >= MAX_OBJECTS_PER_PROFILE)
        throw badRequest(`a profile holds at most ${MAX_OBJECTS_PER_PROFILE} objects`);
      holders.add(profile);
      this.objectCounts[profile]!++;
    }
    const attributes: Record<string, string> = {};
    for (const field of Object.values(type.fields)) {
      const attribute = /^_profile\.Attributes\.(.+)$/.exec(field.Target ?? '')?.[1];
      const value = valueOf(field.Source);
      if (attribute !== undefined && typeof value === 'string') attributes[attribute] = value;
    }
    this.setAttributes(profile, attributes, false);
    return { ProfileObjectUniqueKey: `${input.ObjectTypeName}/${profileKey.value}` };
  }

  private search(input: Input): unknown {
    if (!NAME.test(input.KeyName ?? '')) throw badRequest('KeyName must be 1-64 characters of [a-zA-Z0-9_-]');
    const values = input.Values as string[] | undefined;
    if (!values || values.length === 0) throw badRequest('Values is required');
    for (const value of values)
      if (value.length < 1 || value.length > 255) throw badRequest('each value is 1-255 characters');
    const max = input.MaxResults ?? 20;
    if (max < 1 || max > 100) throw badRequest('MaxResults must be 1-100');
    const index = this.keyIndex(input.KeyName);
    const found = values.flatMap((v) => (index.has(v) ? [index.get(v)!] : [])).slice(0, max);
    return { Items: found.map((i) => ({ ProfileId: this.profileIds[i] })) };
  }

  private update(input: Input): unknown {
    const profileId = requireValue(input.ProfileId, 'ProfileId');
    const index = Number.parseInt(profileId.slice(1), 16);
    if (this.profileIds[index] !== profileId) throw notFound(`profile ${input.ProfileId} not found`);
    this.setAttributes(index, input.Attributes ?? {}, true);
    return { ProfileId: input.ProfileId };
  }

  private setAttributes(profile: number, attributes: Record<string, string>, emptyRemoves: boolean): void {
    for (const [key, value] of Object.entries(attributes)) {
      if (!ATTRIBUTE_KEY.test(key)) throw badRequest(`attribute key ${key} is not valid (1-255 characters)`);
      if (value.length > 255 || (value.length === 0 && !emptyRemoves))
        throw badRequest(`attribute ${key}: values are 1-255 characters`);
    }
    for (const [key, value] of Object.entries(attributes)) {
      let values = this.attributes.get(key);
      if (!values) this.attributes.set(key, (values = new Map()));
      if (value === '') values.delete(profile);
      else values.set(profile, value);
    }
  }

  private count(query: SegmentGroupStructure): number {
    // The fake evaluates the shape the destination writes: one group of INCLUSIVE attribute dimensions.
    const dimensions = query.Groups?.[0]?.Dimensions ?? [];
    const tests = dimensions.flatMap((d) =>
      Object.entries(d.ProfileAttributes?.Attributes ?? {}).map(([key, dim]) => ({
        values: this.attributes.get(key) ?? new Map<number, string>(),
        accepted: new Set(dim.Values ?? []),
      })),
    );
    if (tests.length === 0) return this.profileIds.length;
    let size = 0;
    for (const [profile, value] of tests[0]!.values) {
      if (!tests[0]!.accepted.has(value)) continue;
      if (tests.slice(1).every((t) => t.accepted.has(t.values.get(profile) ?? ''))) size++;
    }
    return size;
  }

  private keyIndex(keyName: string): Map<string, number> {
    let index = this.profileByKey.get(keyName);
    if (!index) this.profileByKey.set(keyName, (index = new Map()));
    return index;
  }

  /** Saves profiles (key `_account`) and attributes as JSON lines in `dir/profiles.jsonl`. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const lines: string[] = [];
    for (const [keyValue, index] of this.keyIndex('_account')) {
      const attributes: Record<string, string> = {};
      for (const [key, values] of this.attributes) {
        const value = values.get(index);
        if (value !== undefined) attributes[key] = value;
      }
      lines.push(JSON.stringify({ key: keyValue, attributes }));
    }
    const state = { objectTypes: [...this.objectTypes], segments: [...this.segments] };
    const file = path.join(dir, 'profiles.jsonl');
    await writeFile(`${file}.tmp`, lines.join('\n') + (lines.length ? '\n' : ''));
    await rename(`${file}.tmp`, file);
    await writeFile(path.join(dir, 'domain.json'), JSON.stringify(state));
  }

  /** Loads what `save` wrote; a folder without it is an empty domain. */
  static async load(dir: string, options: FakeCustomerProfilesOptions): Promise<FakeCustomerProfiles> {
    const fake = new FakeCustomerProfiles(options);
    const { readFile } = await import('node:fs/promises');
    let state: { objectTypes: [string, ObjectType][]; segments: [string, SegmentGroupStructure][] };
    try {
      state = JSON.parse(await readFile(path.join(dir, 'domain.json'), 'utf8'));
    } catch {
      state = { objectTypes: [], segments: [] };
    }
    for (const [name, type] of state.objectTypes) fake.objectTypes.set(name, type);
    for (const [name, query] of state.segments) fake.segments.set(name, query);
    let lines: AsyncIterable<string>;
    try {
      lines = createInterface({
        input: createReadStream(path.join(dir, 'profiles.jsonl')),
        crlfDelay: Infinity,
      });
      for await (const line of lines) {
        if (!line.trim()) continue;
        const { key, attributes } = JSON.parse(line) as { key: string; attributes: Record<string, string> };
        fake.addProfile('_account', key);
        fake.setAttributes(fake.profileIds.length - 1, attributes, false);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return fake;
  }
}

function requireValue(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw badRequest(`${name} is required`);
  return value;
}

function checkQuery(query: SegmentGroupStructure | undefined): SegmentGroupStructure {
  if (!query?.Groups?.length) throw badRequest('a segment needs at least one group');
  for (const group of query.Groups)
    for (const dimension of group.Dimensions ?? [])
      for (const attribute of Object.values(dimension.ProfileAttributes?.Attributes ?? {}))
        if ((attribute.Values ?? []).length > MAX_DIMENSION_VALUES)
          throw badRequest(`a dimension holds at most ${MAX_DIMENSION_VALUES} values`);
  return query;
}
