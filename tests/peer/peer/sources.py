"""Debian source packages, fetched with apt-get source at test time and kept in a cache.

The project holds only the driver and its shim, never the other project's code: the sources
come from the deb-src entry that scripts/install-deps.sh adds. A cache directory keeps each
package's files under the version apt chose, so a repeated run fetches nothing; a changed
version (a Debian update) is fetched beside the old one.
"""
import glob
import os
import subprocess
import tarfile


class FetchError(Exception):
    pass


def candidate_version(package):
    """The source version apt would fetch, or FetchError naming what is missing."""
    try:
        out = subprocess.run(["apt-cache", "showsrc", "--only-source", package],
                             capture_output=True, text=True, check=False).stdout
    except FileNotFoundError as e:
        raise FetchError("apt-cache is missing: %s" % e) from e
    versions = [line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.startswith("Version:")]
    if not versions:
        raise FetchError("apt knows no source package %r: is a deb-src entry configured "
                         "(bash scripts/install-deps.sh adds one) and apt-get update run?" % package)
    # apt-cache lists the candidate first when several suites carry the package; take the
    # highest as apt-get source does.
    return max(versions, key=_debian_version_key)


def _debian_version_key(v):
    out = []
    for part in v.replace("+", ".").replace("-", ".").replace("~", ".").split("."):
        out.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return out


def fetch(package, cache_dir, log):
    """The directory holding package's .dsc and tarballs, downloading them if not cached."""
    version = candidate_version(package)
    where = os.path.join(cache_dir, "%s_%s" % (package, version))
    done = os.path.join(where, ".complete")
    if os.path.exists(done):
        log("%s %s: cached in %s" % (package, version, where))
        return where
    os.makedirs(where, exist_ok=True)
    log("%s %s: fetching with apt-get source into %s" % (package, version, where))
    r = subprocess.run(["apt-get", "source", "--download-only", "%s=%s" % (package, version)],
                       cwd=where, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise FetchError("apt-get source %s=%s failed (%d): %s"
                         % (package, version, r.returncode, r.stderr.strip()[-800:]))
    if not glob.glob(os.path.join(where, "*.orig.tar.*")):
        raise FetchError("apt-get source %s left no .orig tarball in %s" % (package, where))
    with open(done, "w") as f:
        f.write(version + "\n")
    return where


def extract(fetched_dir, members, into):
    """Extracts the tarball members whose paths (after the top directory) start with one of
    members into `into`, top directory stripped. Returns the relative paths extracted."""
    tarballs = glob.glob(os.path.join(fetched_dir, "*.orig.tar.*"))
    if len(tarballs) != 1:
        raise FetchError("expected one .orig tarball in %s, found %d" % (fetched_dir, len(tarballs)))
    got = []
    with tarfile.open(tarballs[0]) as tar:
        for m in tar:
            parts = m.name.split("/", 1)
            if len(parts) != 2 or not m.isfile():
                continue
            rel = parts[1]
            if not any(rel.startswith(p) for p in members):
                continue
            # Paths come from a signed Debian archive, but stay inside `into` all the same.
            target = os.path.normpath(os.path.join(into, rel))
            if not target.startswith(os.path.normpath(into) + os.sep):
                raise FetchError("tarball member %r leaves the extraction directory" % m.name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(m) as src, open(target, "wb") as dst:
                dst.write(src.read())
            got.append(rel)
    if not got:
        raise FetchError("no member of %s matched %s" % (tarballs[0], members))
    return got
