"""Python workload of the preload test (run_python.sh): millions of small objects in threads.

Run with PYTHONMALLOC=malloc so every object is a malloc()/free() of the preloaded
allocator. Four builder threads each make dicts, tuples, lists, strings and big ints; two
producer threads hand objects through a queue to a consumer, which drops them, so the frees
happen on a thread other than the one that allocated (HAKMEM's remote-free path). The printed
digests depend only on the data, never on thread scheduling: each thread folds its own
results, and the main thread prints them in thread order. Usage: workload_threads.py [scale]
"""

import hashlib
import queue
import sys
import threading

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 1
BUILDERS = 4
ROWS_PER_BUILDER = 150_000 * SCALE
PRODUCERS = 2
ITEMS_PER_PRODUCER = 100_000 * SCALE
BATCH = 1000  # items per queue entry; one item per entry makes the lock dominate


def build(seed, out):
    """Builds ~6 objects per row, keeps them all alive, then sorts and digests them."""
    rows = []
    for i in range(ROWS_PER_BUILDER):
        k = (seed * 104_729 + i * 7_919) % 1_000_003
        rows.append({"id": i, "key": "k%07d" % k, "pair": (k, i), "list": [k, i, k ^ i],
                     "big": (k + 1) ** 5})
    rows.sort(key=lambda r: (r["key"], r["id"]))
    h = hashlib.sha256()
    for r in rows[::97]:
        h.update(repr((r["key"], r["pair"], r["list"], r["big"])).encode())
    # Rebuild half of it as strings, dropping the dicts: frees interleaved with allocations.
    words = {}
    for r in rows:
        words.setdefault(r["key"][-3:], []).append(str(r["big"]))
    del rows
    for suffix in sorted(words):
        h.update(("%s:%d:%s" % (suffix, len(words[suffix]), words[suffix][-1])).encode())
    out[seed] = h.hexdigest()


def produce(seed, q):
    for b in range(0, ITEMS_PER_PRODUCER, BATCH):
        q.put((seed, [(seed, i, "v%d" % (i * seed), [i] * (i % 5))
                      for i in range(b, b + BATCH)]))
    q.put((seed, None))


def consume(q, out):
    """Folds each producer's stream separately: per-producer order is FIFO, hence fixed."""
    hashes = {s: hashlib.sha256() for s in range(1, PRODUCERS + 1)}
    counts = dict.fromkeys(hashes, 0)
    done = 0
    while done < PRODUCERS:
        seed, batch = q.get()
        if batch is None:
            done += 1
            continue
        for item in batch:
            hashes[seed].update(item[2].encode())
            counts[seed] += len(item[3])
        # The batch dies here, on the consumer thread.
    for s in hashes:
        out["consumer-%d" % s] = "%d %s" % (counts[s], hashes[s].hexdigest())


def main():
    out = {}
    q = queue.Queue(maxsize=64)
    threads = [threading.Thread(target=build, args=(s, out)) for s in range(BUILDERS)]
    threads += [threading.Thread(target=produce, args=(s, q)) for s in range(1, PRODUCERS + 1)]
    threads.append(threading.Thread(target=consume, args=(q, out)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = hashlib.sha256()
    for key in sorted(out, key=str):
        print(key, out[key])
        total.update(("%s %s\n" % (key, out[key])).encode())
    print("total", total.hexdigest())


main()
