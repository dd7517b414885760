import { UserFacingError } from '../errors';
import type { CsvFile } from './csv-file';

/**
 * userId → endpoint IDs, built from a Pinpoint endpoint export, for the `Id` key mode.
 *
 * Why not a Map<string, string[]>: for 10M endpoints that is 10M+ strings and arrays on the JS heap
 * (measured in bench/activation.bench.ts: 2.3 GB peak RSS and 40 s for the naive version), and a V8
 * Map stops at 2^24 (16.7M) entries. Here the IDs are bytes in 16 MB slabs and everything else is
 * typed arrays: the index of 10M endpoints (UUID IDs) of 6.7M users takes 775 MB, ~78 bytes per
 * endpoint with its ID, its user's ID and growth slack. Lookups are exact: a 32-bit hash picks the
 * slot and the user ID bytes are compared, so no user can ever receive another user's endpoint.
 *
 * Endpoint IDs are stored already CSV-escaped, ready to be copied into an import file.
 */

const SLAB_BITS = 24;
const SLAB_BYTES = 1 << SLAB_BITS;
const MAX_SLABS = 256;
const MAX_ID_BYTES = 0xffff;

/** Append-only byte storage addressed by 32-bit references (slab · 2^24 + offset). */
class ByteArena {
  private readonly slabs: Buffer[] = [];
  private used = SLAB_BYTES;

  get bytes(): number {
    return this.slabs.length === 0 ? 0 : (this.slabs.length - 1) * SLAB_BYTES + this.used;
  }

  append(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (this.used + length > SLAB_BYTES) {
      if (this.slabs.length >= MAX_SLABS) {
        throw new UserFacingError(
          'the endpoint export holds more than 4 GB of IDs; split the activation by application',
        );
      }
      this.slabs.push(Buffer.allocUnsafeSlow(SLAB_BYTES));
      this.used = 0;
    }
    const slab = this.slabs.length - 1;
    this.slabs[slab]!.set(bytes.subarray(start, end), this.used);
    const ref = slab * SLAB_BYTES + this.used;
    this.used += length;
    return ref;
  }

  slab(ref: number): Buffer {
    return this.slabs[Math.floor(ref / SLAB_BYTES)]!;
  }
}

function grown<T extends Int32Array | Uint32Array | Uint16Array>(array: T, make: (n: number) => T): T {
  const bigger = make(array.length * 2);
  bigger.set(array);
  return bigger;
}

export class EndpointIndex {
  private readonly arena = new ByteArena();
  private userCount = 0;
  private endpointCount = 0;
  // Per user.
  private userRef = new Uint32Array(1024);
  private userLength = new Uint16Array(1024);
  private userHash = new Int32Array(1024);
  private firstEndpoint = new Int32Array(1024);
  private lastEndpoint = new Int32Array(1024);
  // Per endpoint.
  private endpointRef = new Uint32Array(1024);
  private endpointLength = new Uint16Array(1024);
  private nextEndpoint = new Int32Array(1024);
  // Open-addressing table of user index + 1 (0: empty).
  private table = new Int32Array(2048);

  get users(): number {
    return this.userCount;
  }

  get endpoints(): number {
    return this.endpointCount;
  }

  /** Bytes held by the ID storage and the arrays (what the index adds to memory). */
  get footprintBytes(): number {
    const arrays = [
      this.userRef,
      this.userLength,
      this.userHash,
      this.firstEndpoint,
      this.lastEndpoint,
      this.endpointRef,
      this.endpointLength,
      this.nextEndpoint,
      this.table,
    ];
    return this.arena.bytes + arrays.reduce((sum, a) => sum + a.byteLength, 0);
  }

  /**
   * Adds an endpoint of a user: the user ID as UTF-8 bytes with the second lane of its `hashIdBytes` hash,
   * and the endpoint ID already CSV-escaped. Returns false when an ID is too long to index (> 64 KB).
   */
  add(user: Uint8Array, userStart: number, userEnd: number, h2: number, endpointCsv: Uint8Array): boolean {
    if (userEnd - userStart > MAX_ID_BYTES || endpointCsv.length > MAX_ID_BYTES) return false;
    let u = this.find(user, userStart, userEnd, h2);
    if (u < 0) u = this.addUser(user, userStart, userEnd, h2);
    const e = this.endpointCount++;
    if (e === this.endpointRef.length) {
      this.endpointRef = grown(this.endpointRef, (n) => new Uint32Array(n));
      this.endpointLength = grown(this.endpointLength, (n) => new Uint16Array(n));
      this.nextEndpoint = grown(this.nextEndpoint, (n) => new Int32Array(n));
    }
    this.endpointRef[e] = this.arena.append(endpointCsv, 0, endpointCsv.length);
    this.endpointLength[e] = endpointCsv.length;
    this.nextEndpoint[e] = -1;
    // Keep the export's order: append to the user's list.
    if (this.firstEndpoint[u] === -1) this.firstEndpoint[u] = e;
    else this.nextEndpoint[this.lastEndpoint[u]!] = e;
    this.lastEndpoint[u] = e;
    return true;
  }

  /** The index of a user, or -1 when the export has no endpoint for it. */
  find(user: Uint8Array, start: number, end: number, h2: number): number {
    const table = this.table;
    const mask = table.length - 1;
    const length = end - start;
    for (let slot = h2 & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) return -1;
      const u = entry - 1;
      if (this.userHash[u] === h2 && this.userLength[u] === length && this.sameBytes(u, user, start, length))
        return u;
    }
  }

  /** Writes one CSV row per endpoint of user `u` and returns how many. */
  writeEndpoints(u: number, csv: CsvFile): number {
    let written = 0;
    for (let e = this.firstEndpoint[u]!; e !== -1; e = this.nextEndpoint[e]!) {
      const ref = this.endpointRef[e]!;
      const offset = ref % SLAB_BYTES;
      csv.rawRow(this.arena.slab(ref), offset, offset + this.endpointLength[e]!);
      written++;
    }
    return written;
  }

  private sameBytes(u: number, user: Uint8Array, start: number, length: number): boolean {
    const ref = this.userRef[u]!;
    const slab = this.arena.slab(ref);
    const offset = ref % SLAB_BYTES;
    for (let i = 0; i < length; i++) if (slab[offset + i] !== user[start + i]) return false;
    return true;
  }

  private addUser(user: Uint8Array, start: number, end: number, h2: number): number {
    const u = this.userCount++;
    if (u === this.userRef.length) {
      this.userRef = grown(this.userRef, (n) => new Uint32Array(n));
      this.userLength = grown(this.userLength, (n) => new Uint16Array(n));
      this.userHash = grown(this.userHash, (n) => new Int32Array(n));
      this.firstEndpoint = grown(this.firstEndpoint, (n) => new Int32Array(n));
      this.lastEndpoint = grown(this.lastEndpoint, (n) => new Int32Array(n));
    }
    this.userRef[u] = this.arena.append(user, start, end);
    this.userLength[u] = end - start;
    this.userHash[u] = h2;
    this.firstEndpoint[u] = -1;
    this.lastEndpoint[u] = -1;
    if (this.userCount * 10 > this.table.length * 7) this.rehash();
    else this.place(u);
    return u;
  }

  private place(u: number): void {
    const mask = this.table.length - 1;
    let slot = this.userHash[u]! & mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & mask;
    this.table[slot] = u + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let u = 0; u < this.userCount; u++) this.place(u);
  }
}
