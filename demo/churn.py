"""A real program's allocation pattern for the demo: CPython (run with PYTHONMALLOC=malloc, so
every object goes through the preloaded allocator rather than pymalloc's arenas) keeping an
in-memory SQLite database of orders and a dict cache, inserting, querying, updating and
deleting until told to stop (SIGTERM or SIGINT) or for --seconds. It prints "ready" once
it runs, and on stopping how many rounds it made."""
import argparse
import random
import signal
import sqlite3
import sys
import time

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rng = random.Random(args.seed)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, note TEXT, total REAL)")
    db.execute("CREATE INDEX by_customer ON orders (customer)")
    cache = {}
    next_id = 0
    rounds = 0
    print("ready", flush=True)
    end = time.monotonic() + args.seconds
    while not stop and time.monotonic() < end:
        rows = []
        for _ in range(200):
            next_id += 1
            customer = f"customer-{rng.randrange(5000)}"
            note = "x" * rng.choice((8, 24, 60, 200, 700, 3000))
            rows.append((next_id, customer, note, rng.random() * 100))
        db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", rows)
        for customer, n, spent in db.execute(
                "SELECT customer, count(*), sum(total) FROM orders GROUP BY customer ORDER BY 3 DESC LIMIT 50"):
            cache[customer] = {"orders": n, "spent": spent, "tags": [customer[-3:]] * (n % 7)}
        db.execute("UPDATE orders SET note = note || 'y' WHERE id % 97 = ?", (rounds % 97,))
        if next_id > 40000:   # keep the live set bounded: drop the oldest quarter
            db.execute("DELETE FROM orders WHERE id < ?", (next_id - 30000,))
        if len(cache) > 3000:
            for key in list(cache)[:1500]:
                del cache[key]
        rounds += 1
    print(f"stopped after {rounds} rounds", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
