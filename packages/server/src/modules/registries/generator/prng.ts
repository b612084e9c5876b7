/**
 * Seeded randomness for the generator: sfc32 streams derived from the seed
 * and a stream id (so a block of people can be regenerated on its own), and
 * keyed permutations of 0..D-1 (so identifiers drawn from a counter are
 * unique without remembering them). Never Math.random, never the clock.
 */

/** 32-bit avalanche mix (murmur3 finaliser). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A seed string hashed to four 32-bit words (cyrb128). */
export function hashSeed(seed: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** An independent stream for (seed, stream, index): the same triple always gives the same numbers. */
  static derive(seed: readonly number[], stream: number, index: number): Rng {
    const lo = index >>> 0;
    const hi = Math.floor(index / 4294967296) >>> 0;
    return new Rng(
      mix32(seed[0] ^ mix32(stream + 0x9e3779b9)),
      mix32(seed[1] ^ mix32(lo + 0x7f4a7c15)),
      mix32(seed[2] ^ mix32(hi ^ 0x94d049bb) ^ stream),
      mix32(seed[3] ^ lo ^ Math.imul(stream, 0x2545f491)),
    );
  }

  /** sfc32: the next unsigned 32-bit integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/**
 * Picks from weighted items in O(1): a table of 4096 slots filled in
 * proportion to the weights (every item with a positive weight gets a slot).
 */
export class Weighted<T> {
  private readonly table: T[];

  constructor(items: readonly T[], weights: readonly number[]) {
    const total = weights.reduce((s, w) => s + w, 0);
    const size = 4096;
    this.table = [];
    items.forEach((item, i) => {
      const n = Math.max(1, Math.round((weights[i] / total) * size));
      for (let k = 0; k < n; k++) this.table.push(item);
    });
  }

  pick(rng: Rng): T {
    return this.table[rng.int(this.table.length)];
  }
}

/**
 * A keyed bijection of [0, domain): a balanced Feistel network on the next
 * even number of bits, cycle-walking back into the domain. Used to turn a
 * counter into an identifier that looks random and can never repeat.
 */
export class Permutation {
  private readonly half: number;
  private readonly mask: number;
  private readonly keys: number[];

  constructor(
    readonly domain: number,
    seed: readonly number[],
    stream: number,
  ) {
    if (domain < 1 || domain > 2 ** 52) throw new Error(`permutation domain ${domain} out of range`);
    let bits = Math.max(2, Math.ceil(Math.log2(domain)));
    if (bits % 2) bits++;
    this.half = bits / 2;
    // Halves above 26 bits would overflow the 32-bit round function's products: split in arithmetic instead.
    if (this.half > 26) throw new Error(`permutation domain ${domain} too large`);
    this.mask = 2 ** this.half - 1;
    const rng = Rng.derive(seed, 0x7065726d ^ stream, domain);
    this.keys = [rng.next(), rng.next(), rng.next(), rng.next()];
  }

  private encrypt(x: number): number {
    const size = this.mask + 1;
    let l = Math.floor(x / size);
    let r = x % size;
    for (const k of this.keys) {
      const f = mix32((r ^ k) >>> 0) & this.mask;
      const nl = r;
      r = (l ^ f) & this.mask;
      l = nl;
    }
    return l * size + r;
  }

  at(i: number): number {
    if (i < 0 || i >= this.domain) throw new Error(`index ${i} outside the permutation domain ${this.domain}`);
    let x = this.encrypt(i);
    while (x >= this.domain) x = this.encrypt(x);
    return x;
  }
}
