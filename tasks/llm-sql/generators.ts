/**
 * Synthetic tables shaped like the published LLM-SQL datasets that are too
 * large to store (Rotten Tomatoes movies, BIRD posts and comments, PDMX score
 * metadata, Amazon products and reviews), plus one shaped like the stored
 * beer reviews for the held-out split.
 *
 * The shape is what matters for prefix reuse: "parent" entities (a movie, a
 * post, a product, a beer) carry long texts that every one of their "child"
 * rows (reviews, comments) repeats; the children carry short, mostly unique
 * fields; a few columns have few distinct values (scores, flags); parents
 * have heavy-tailed numbers of children; and rows come shuffled (beer: grouped
 * by beer, as the stored file is). Text is drawn from a synthetic vocabulary
 * with Zipf-distributed word frequencies, so distinct texts share only short
 * prefixes by chance, as real prose does. Everything comes from one seeded Rng.
 */
import type { Rng } from "../../src/task/api.ts";
import type { RawTable } from "./datasets.ts";

/**
 * The generators draw millions of numbers; this sfc32 keeps its state in
 * fields (no allocation per draw) and is seeded from the task's Rng, so the
 * tables still follow from the split's seed.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: Rng) {
    this.a = seed.int(2 ** 32) | 0;
    this.b = seed.int(2 ** 32) | 0;
    this.c = seed.int(2 ** 32) | 0;
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}

/** A raw table and the merges the published evaluator applies to it. */
export interface Dataset {
  table: RawTable;
  merges: string[][];
}

/** How big a generated table is: the number of rows, and of parent entities. */
export interface Size {
  rows: number;
  parents: number;
}

const CONSONANTS = "bcdfghjklmnprstvwyz";
const VOWELS = "aeiou";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Draws index i of 0 … n−1 with probability ∝ 1/(i+1)^s, in O(1) (Walker's alias method). */
export class Zipf {
  private readonly keep: Float64Array;
  private readonly alias: Int32Array;

  constructor(n: number, s: number) {
    const p = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      p[i] = 1 / (i + 1) ** s;
      total += p[i] as number;
    }
    this.keep = new Float64Array(n);
    this.alias = new Int32Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      p[i] = ((p[i] as number) * n) / total;
      ((p[i] as number) < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const lo = small.pop() as number;
      const hi = large[large.length - 1] as number;
      this.keep[lo] = p[lo] as number;
      this.alias[lo] = hi;
      p[hi] = (p[hi] as number) + (p[lo] as number) - 1;
      if ((p[hi] as number) < 1) small.push(large.pop() as number);
    }
    for (const i of [...small, ...large]) {
      this.keep[i] = 1;
      this.alias[i] = i;
    }
  }

  draw(rng: Random): number {
    const x = rng.next() * this.keep.length;
    const i = Math.floor(x);
    return x - i < (this.keep[i] as number) ? i : (this.alias[i] as number);
  }
}

function chars(rng: Random, alphabet: string, count: number): string {
  let s = "";
  for (let i = 0; i < count; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function between(rng: Random, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

function capitalise(w: string): string {
  return w.length === 0 ? w : (w[0] as string).toUpperCase() + w.slice(1);
}

/** A synthetic vocabulary and the prose made from it. */
export class Prose {
  private readonly words: string[] = [];
  private readonly zipf: Zipf;

  constructor(rng: Random, size: number) {
    const seen = new Set<string>();
    // Short words are the frequent ones, as in real text.
    while (this.words.length < size) {
      const syllables = 1 + Math.min(3, Math.floor(this.words.length / (size / 6)) + rng.int(2));
      let w = "";
      for (let s = 0; s < syllables; s++) {
        w += CONSONANTS[rng.int(CONSONANTS.length)];
        w += VOWELS[rng.int(VOWELS.length)];
        if (rng.next() < 0.3) w += CONSONANTS[rng.int(CONSONANTS.length)];
      }
      if (!seen.has(w)) {
        seen.add(w);
        this.words.push(w);
      }
    }
    this.zipf = new Zipf(size, 1.05);
  }

  word(rng: Random): string {
    return this.words[this.zipf.draw(rng)] as string;
  }

  /** Appends one sentence's words to `out`; returns the characters added (spaces included). */
  private sentenceInto(rng: Random, out: string[]): number {
    const n = between(rng, 5, 18);
    let added = 0;
    for (let i = 0; i < n; i++) {
      let w = this.word(rng);
      if (i === 0) w = capitalise(w);
      if (i === n - 1) w += rng.next() < 0.85 ? "." : rng.next() < 0.5 ? "!" : "?";
      else if (i > 0 && rng.next() < 0.07) w += ",";
      out.push(w);
      added += w.length + 1;
    }
    return added;
  }

  /** Whole sentences until at least `minChars`-ish (a length drawn up to `maxChars`), cut to at most `maxChars`. */
  text(rng: Random, minChars: number, maxChars: number): string {
    const target = between(rng, minChars, maxChars);
    const words: string[] = [];
    let length = -1;
    do length += this.sentenceInto(rng, words);
    while (length < target);
    const s = words.join(" ");
    return s.length > maxChars ? s.slice(0, maxChars).trimEnd() : s;
  }

  title(rng: Random, minWords: number, maxWords: number): string {
    const n = between(rng, minWords, maxWords);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(capitalise(this.word(rng)));
    return parts.join(" ");
  }

  name(rng: Random): string {
    return `${capitalise(this.word(rng))} ${capitalise(this.word(rng))}${this.word(rng).slice(0, 3)}`;
  }
}

/**
 * How many children each parent has: heavy-tailed (a few parents have many;
 * a larger `tail` concentrates more), at least one each, summing to `rows`.
 */
export function childCounts(rng: Random, parents: number, rows: number, tail = 0.9): number[] {
  if (parents > rows)
    throw new Error(`childCounts: ${parents} parents need at least as many rows, got ${rows}`);
  const weights: number[] = [];
  for (let p = 0; p < parents; p++) weights.push(1 / (1 - rng.next()) ** tail);
  const total = weights.reduce((a, b) => a + b, 0);
  const spare = rows - parents;
  const counts = weights.map((w) => 1 + Math.floor((w / total) * spare));
  let left = rows - counts.reduce((a, b) => a + b, 0);
  while (left > 0) {
    const p = rng.int(parents);
    counts[p] = (counts[p] as number) + 1;
    left--;
  }
  return counts;
}

function shuffled<T>(rng: Random, rows: T[]): T[] {
  return rng.shuffle(rows);
}

function date(rng: Random, fromYear: number, toYear: number): string {
  const y = between(rng, fromYear, toYear);
  const m = between(rng, 1, 12);
  const d = between(rng, 1, 28);
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

function pickWeighted<T>(rng: Random, items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = rng.next() * total;
  for (let i = 0; i < items.length; i++) {
    x -= weights[i] as number;
    if (x < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

/** Rotten Tomatoes critic reviews: each movie's long info and title repeat on its reviews. */
export function movies(seed: Rng, size: Size = { rows: 15_000, parents: 700 }): Dataset {
  const rng = new Random(seed);
  const prose = new Prose(new Random(seed.fork("prose")), 6000);
  const critics = Array.from({ length: 2500 }, () => ({
    name: prose.name(rng),
    top: rng.next() < 0.2 ? "True" : "False",
    publisher: rng.int(700),
  }));
  const publishers = Array.from({ length: 700 }, () => prose.title(rng, 1, 3));
  const criticPick = new Zipf(critics.length, 0.9);
  const scores = ["", "3/5", "4/5", "2/5", "3.5/5", "B", "B+", "A-", "C", "2.5/4", "3/4", "7/10", "8/10"];
  const scoreWeights = [30, 10, 9, 5, 6, 4, 4, 3, 3, 3, 3, 2, 2];
  const rows: string[][] = [];
  const counts = childCounts(rng, size.parents, size.rows);
  const slugs = new Set<string>();
  const firstReviewId = 100_000;
  for (const count of counts) {
    const title = prose.title(rng, 1, 5);
    let slug = `m/${title.toLowerCase().replaceAll(" ", "_")}`;
    const year = between(rng, 1950, 2019);
    if (slugs.has(slug)) slug += `_${year}`;
    while (slugs.has(slug)) slug += `_${rng.int(10)}`;
    slugs.add(slug);
    const info = prose.text(rng, 250, 900);
    const fresh = rng.next();
    for (let c = 0; c < count; c++) {
      const critic = critics[criticPick.draw(rng)] as (typeof critics)[number];
      rows.push([
        slug,
        title,
        info,
        critic.name,
        critic.top,
        publishers[critic.publisher] as string,
        rng.next() < fresh ? "Fresh" : "Rotten",
        pickWeighted(rng, scores, scoreWeights),
        date(rng, Math.max(year, 2000), 2020),
        prose.text(rng, 40, 250),
        String(firstReviewId + rows.length * 7 + rng.int(7)),
      ]);
    }
  }
  return {
    table: {
      columns: [
        "rottentomatoeslink",
        "movietitle",
        "movieinfo",
        "criticname",
        "topcritic",
        "publishername",
        "reviewtype",
        "reviewscore",
        "reviewdate",
        "reviewcontent",
        "id",
      ],
      rows: shuffled(rng, rows),
    },
    merges: [["movieinfo", "movietitle", "rottentomatoeslink"]],
  };
}

/** BIRD (stats Q&A) posts joined with their comments: the long post body repeats on each comment. */
export function bird(seed: Rng, size: Size = { rows: 12_000, parents: 1_500 }): Dataset {
  const rng = new Random(seed);
  const prose = new Prose(new Random(seed.fork("prose")), 8000);
  const userPick = new Zipf(4000, 0.8);
  const userIds = Array.from({ length: 4000 }, () => String(between(rng, 1, 120_000)));
  const rows: string[][] = [];
  const counts = childCounts(rng, size.parents, size.rows);
  const postIds = new Set<number>();
  let commentId = between(rng, 1, 5000);
  for (const count of counts) {
    let postId = between(rng, 1, 120_000);
    while (postIds.has(postId)) postId = between(rng, 1, 120_000);
    postIds.add(postId);
    const paragraphs: string[] = [];
    const target = between(rng, 300, 3000);
    let length = 0;
    while (length < target) {
      const p =
        rng.next() < 0.15
          ? `<pre><code>${prose.text(rng, 40, 200)}</code></pre>`
          : `<p>${prose.text(rng, 80, 600)}</p>`;
      paragraphs.push(p);
      length += p.length + 2;
    }
    const body = paragraphs.join("\n\n");
    const year = between(rng, 2009, 2014);
    for (let c = 0; c < count; c++) {
      commentId += 1 + rng.int(40);
      const score = rng.next() < 0.7 ? 0 : Math.min(30, Math.floor(1 / (1 - rng.next()) ** 0.7));
      const anonymous = rng.next() < 0.03;
      rows.push([
        String(commentId),
        String(postId),
        String(score),
        prose.text(rng, 30, 300),
        `${date(rng, year, Math.min(2014, year + 2))} ${String(rng.int(24)).padStart(2, "0")}:${String(rng.int(60)).padStart(2, "0")}:${String(rng.int(60)).padStart(2, "0")}.0`,
        anonymous ? "" : (userIds[userPick.draw(rng)] as string),
        anonymous ? prose.name(rng) : "",
        body,
      ]);
    }
  }
  return {
    table: {
      columns: ["Id", "PostId", "Score", "Text", "CreationDate", "UserId", "UserDisplayName", "Body"],
      rows: shuffled(rng, rows),
    },
    merges: [["PostId", "Body"]],
  };
}

/** PDMX public-domain score metadata: one row per score; composers, licences and flags repeat. */
export function pdmx(seed: Rng, size: Size = { rows: 12_000, parents: 1_800 }): Dataset {
  const rng = new Random(seed);
  const prose = new Prose(new Random(seed.fork("prose")), 5000);
  const licenses = [
    "https://creativecommons.org/publicdomain/mark/1.0/",
    "https://creativecommons.org/publicdomain/zero/1.0/",
    "https://creativecommons.org/licenses/by/4.0/",
    "https://creativecommons.org/licenses/by-sa/4.0/",
    "https://creativecommons.org/licenses/by-nc/4.0/",
    "All Rights Reserved",
  ];
  const licenseWeights = [40, 20, 12, 8, 6, 14];
  const genreNames = [
    "classical",
    "folk",
    "pop",
    "rock",
    "jazz",
    "soundtrack",
    "religious",
    "electronic",
    "world",
    "holiday",
  ];
  const instruments = [
    "piano",
    "guitar",
    "violin",
    "flute",
    "voice",
    "organ",
    "cello",
    "trumpet",
    "choir",
    "strings",
  ];
  const versions = ["3.6.2", "4.0.1", "4.1.0", "4.2.1", "4.3.2", "4.4.2"];
  const composers = Array.from({ length: size.parents }, () => ({
    name: rng.next() < 0.1 ? "" : prose.name(rng),
    genre: `${genreNames[rng.int(genreNames.length)]}${rng.next() < 0.3 ? `,${genreNames[rng.int(genreNames.length)]}` : ""}`,
    license: pickWeighted(rng, licenses, licenseWeights),
    about: rng.next() < 0.5 ? "" : prose.text(rng, 60, 400),
  }));
  const composerPick = new Zipf(composers.length, 1.0);
  const rows: string[][] = [];
  const flag = (p: number) => (rng.next() < p ? "True" : "False");
  for (let i = 0; i < size.rows; i++) {
    const comp = composers[composerPick.draw(rng)] as (typeof composers)[number];
    const hash = `Qm${chars(rng, BASE58, 44)}`;
    const d1 = hash.charCodeAt(5) % 10;
    const d2 = hash.charCodeAt(9) % 10;
    const rated = rng.next() < 0.25;
    const nNotes = Math.floor(50 + (1 / (1 - rng.next()) ** 1.2) * 200);
    const tags = Array.from({ length: rng.int(4) }, () => instruments[rng.int(instruments.length)]).join(",");
    rows.push([
      `./data/${d1}/${d2}/${hash}.mxl`,
      `./metadata/${d1}/${d2}/${hash}.json`,
      versions[Math.min(versions.length - 1, Math.floor(rng.next() ** 0.5 * versions.length))] as string,
      prose.title(rng, 1, 6),
      rng.next() < 0.8 ? "" : prose.title(rng, 1, 4),
      comp.name,
      comp.genre,
      tags,
      comp.license,
      comp.about,
      rated ? (3 + rng.next() * 2).toFixed(2) : "0.0",
      rated ? String(1 + rng.int(40)) : "0",
      String(Math.floor((1 / (1 - rng.next()) ** 1.3) * 30)),
      String(nNotes),
      (nNotes * (0.2 + rng.next() * 0.4)).toFixed(3),
      String(1 + Math.floor(rng.next() ** 3 * 8)),
      flag(0.9),
      flag(0.05),
      flag(0.02),
      flag(0.04),
      flag(0.1),
      flag(0.7),
    ]);
  }
  return {
    table: {
      columns: [
        "path",
        "metadata",
        "version",
        "title",
        "subtitle",
        "composername",
        "genres",
        "tags",
        "license",
        "description",
        "rating",
        "nratings",
        "nviews",
        "nnotes",
        "songlength",
        "ntracks",
        "hasmetadata",
        "isofficial",
        "isuserpublisher",
        "isdraft",
        "hasannotations",
        "subsetall",
      ],
      rows: shuffled(rng, rows),
    },
    merges: [
      ["path", "metadata"],
      ["hasmetadata", "isofficial", "isuserpublisher", "isdraft", "hasannotations", "subsetall"],
    ],
  };
}

/** Amazon reviews joined with their product: the product's title and features repeat on each review. */
export function products(seed: Rng, size: Size = { rows: 16_000, parents: 2_000 }): Dataset {
  const rng = new Random(seed);
  const prose = new Prose(new Random(seed.fork("prose")), 7000);
  const categories = [
    "All Beauty",
    "Appliances",
    "Books",
    "Electronics",
    "Home and Kitchen",
    "Toys and Games",
    "Sports",
  ];
  const stores = Array.from({ length: 600 }, () => prose.title(rng, 1, 2));
  const storePick = new Zipf(stores.length, 1.0);
  const rows: string[][] = [];
  const counts = childCounts(rng, size.parents, size.rows);
  for (const count of counts) {
    const parentAsin = `B0${chars(rng, ALNUM, 8)}`;
    const variants = Array.from(
      { length: 1 + Math.floor(rng.next() ** 4 * 5) },
      () => `B0${chars(rng, ALNUM, 8)}`,
    );
    const productTitle = prose.title(rng, 4, 24);
    const features = prose.text(rng, 150, 1000);
    const category = categories[rng.int(categories.length)] as string;
    const store = stores[storePick.draw(rng)] as string;
    const quality = rng.next();
    const average = (1 + quality * 4).toFixed(1);
    const ratingNumber = String(count * (1 + rng.int(20)));
    const epoch = 1_400_000_000_000 + rng.int(250_000_000) * 1000;
    for (let c = 0; c < count; c++) {
      const stars = Math.max(1, Math.min(5, Math.round(1 + quality * 4 + rng.normal())));
      rows.push([
        `${stars}.0`,
        prose.title(rng, 1, 7),
        prose.text(rng, 30, 400),
        rng.next() < 0.9 ? "[]" : `["https://m.media-amazon.com/images/I/${chars(rng, BASE58, 11)}.jpg"]`,
        variants[rng.int(variants.length)] as string,
        parentAsin,
        `A${chars(rng, UPPER + "234567", 27)}`,
        String(epoch + rng.int(200_000_000) * 1000 + rng.int(1000)),
        String(rng.next() < 0.75 ? 0 : Math.floor(1 / (1 - rng.next()) ** 0.8)),
        rng.next() < 0.85 ? "True" : "False",
        productTitle,
        features,
        category,
        store,
        average,
        ratingNumber,
      ]);
    }
  }
  return {
    table: {
      columns: [
        "rating",
        "title",
        "text",
        "images",
        "asin",
        "parent_asin",
        "user_id",
        "timestamp",
        "helpful_vote",
        "verified_purchase",
        "product_title",
        "features",
        "main_category",
        "store",
        "average_rating",
        "rating_number",
      ],
      rows: shuffled(rng, rows),
    },
    merges: [["product_title", "parent_asin"]],
  };
}

/**
 * BeerAdvocate reviews like the stored beer.csv: a reviewer, a day, four
 * scores on 20/10/5/5-point scales, and the beer's name, style and id. Rows
 * are grouped by beer, as in the stored file.
 */
export function beer(seed: Rng, size: Size = { rows: 28_000, parents: 1_400 }): Dataset {
  const rng = new Random(seed);
  const prose = new Prose(new Random(seed.fork("prose")), 4000);
  const styles = Array.from(
    { length: 78 },
    () => `${prose.title(rng, 1, 3)}${rng.next() < 0.3 ? " (IPA)" : ""}`,
  );
  const stylePick = new Zipf(styles.length, 0.9);
  const breweries = Array.from({ length: 300 }, () => prose.title(rng, 1, 3));
  const breweryPick = new Zipf(breweries.length, 0.8);
  const users = Array.from(
    { length: 4800 },
    () =>
      `${prose.word(rng)}${rng.next() < 0.5 ? prose.word(rng) : ""}${rng.next() < 0.4 ? String(rng.int(100)) : ""}`,
  );
  const userPick = new Zipf(users.length, 0.6);
  const rows: string[][] = [];
  const counts = childCounts(rng, size.parents, size.rows, 1.4);
  const ids = new Set<number>();
  const scale = (q: number, points: number) =>
    `${Math.max(1, Math.min(points, Math.round(q * points)))}/${points}`;
  for (const count of counts) {
    const name = `${breweries[breweryPick.draw(rng)]} ${prose.title(rng, 2, 4)}${rng.next() < 0.2 ? ` (${prose.title(rng, 1, 1)})` : ""}`;
    const style = styles[stylePick.draw(rng)] as string;
    let id = between(rng, 100, 70_000);
    while (ids.has(id)) id = between(rng, 100, 70_000);
    ids.add(id);
    const quality = 0.45 + rng.next() * 0.4;
    const firstDay = 12_800 + rng.int(1_400);
    for (let c = 0; c < count; c++) {
      const q = () => Math.max(0, Math.min(1, quality + rng.normal() * 0.15));
      rows.push([
        users[userPick.draw(rng)] as string,
        String((firstDay + rng.int(600)) * 86_400),
        scale(q(), 20),
        scale(q(), 10),
        scale(q(), 5),
        scale(q(), 5),
        name,
        style,
        String(id),
      ]);
    }
  }
  return {
    table: {
      columns: [
        "review/profileName",
        "review/time",
        "review/overall",
        "review/taste",
        "review/palate",
        "review/appearance",
        "beer/name",
        "beer/style",
        "beer/beerId",
      ],
      rows,
    },
    merges: [["beer/beerId", "beer/name"]],
  };
}

/** The published merges of the stored beer.csv. */
export const BEER_MERGES = [["beer/beerId", "beer/name"]];
