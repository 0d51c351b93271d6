"""The allocators a case runs under: glibc (nothing preloaded), HAKMEM, and the peers that are
installed (Debian's libjemalloc2, libmimalloc2.0, libtcmalloc-minimal4)."""
import os

PEER_LIBS = {
    "jemalloc": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "mimalloc": "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2",
    "tcmalloc": "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
}


class Allocator:
    def __init__(self, name, preload):
        self.name = name
        self.preload = preload   # None for glibc

    def env(self, base):
        env = dict(base)
        preload = [p for p in (self.preload, base.get("LD_PRELOAD")) if p]
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        return env


def resolve(names, hakmem_lib):
    """Allocators for the comma-separated names ('peers' = every installed peer). A named peer
    that is not installed is an error; 'peers' takes those present."""
    out = []
    for name in names.split(","):
        name = name.strip()
        if name == "glibc":
            out.append(Allocator("glibc", None))
        elif name == "hakmem":
            if not os.path.exists(hakmem_lib):
                raise SystemExit("run.py: no libhakmem at %s (build the release preset)" % hakmem_lib)
            out.append(Allocator("hakmem", os.path.abspath(hakmem_lib)))
        elif name == "peers":
            out += [Allocator(n, p) for n, p in PEER_LIBS.items() if os.path.exists(p)]
        elif name in PEER_LIBS:
            if not os.path.exists(PEER_LIBS[name]):
                raise SystemExit("run.py: %s is not installed (%s)" % (name, PEER_LIBS[name]))
            out.append(Allocator(name, PEER_LIBS[name]))
        else:
            raise SystemExit("run.py: unknown allocator %r (glibc, hakmem, jemalloc, mimalloc, "
                             "tcmalloc, peers)" % name)
    return out


def installed_peers():
    return [Allocator(n, p) for n, p in PEER_LIBS.items() if os.path.exists(p)]
