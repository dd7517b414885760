/**
 * An exact set of 64-bit ID hashes (open addressing, linear probing, typed arrays): 8 bytes per slot
 * at ≤ 70 % load and no per-entry object. The de-duplicator uses it for the few suspects a Bloom
 * filter lets through; see dedupe.ts for why the main path does not insert every user here.
 */
export class IdHashSet {
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 1 << 4;
    while (capacity < initialCapacity) capacity <<= 1;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** True when the hash `(h1, h2)` is in the set. */
  has(h1: number, h2: number): boolean {
    const slots = this.slots;
    const mask = this.mask;
    for (let slot = h2 & mask; ; slot = (slot + 1) & mask) {
      const a = slots[slot * 2]!;
      const b = slots[slot * 2 + 1]!;
      if (a === h1 && b === h2) return true;
      if (a === 0 && b === 0) return false;
    }
  }

  /** Adds the hash `(h1, h2)` (never `(0, 0)`). Returns false when it was already there. */
  add(h1: number, h2: number): boolean {
    const slots = this.slots;
    const mask = this.mask;
    let slot = h2 & mask;
    for (;;) {
      const a = slots[slot * 2]!;
      const b = slots[slot * 2 + 1]!;
      if (a === 0 && b === 0) break;
      if (a === h1 && b === h2) return false;
      slot = (slot + 1) & mask;
    }
    slots[slot * 2] = h1;
    slots[slot * 2 + 1] = h2;
    this.count++;
    if (this.count * 10 > (mask + 1) * 7) this.grow();
    return true;
  }

  /** Visits every hash in the set. */
  forEach(visit: (h1: number, h2: number) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) {
      if (slots[i] !== 0 || slots[i + 1] !== 0) visit(slots[i]!, slots[i + 1]!);
    }
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(capacity * 2);
    const mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const a = old[i]!;
      const b = old[i + 1]!;
      if (a === 0 && b === 0) continue;
      let slot = b & mask;
      while (slots[slot * 2] !== 0 || slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      slots[slot * 2] = a;
      slots[slot * 2 + 1] = b;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
