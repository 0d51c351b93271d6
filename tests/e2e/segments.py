"""Hand-made segments for the hostile tests: a real segment taken from exact_workload, re-aimed
at a live process of the test's own (a `sleep`) by patching the header's pid and start time,
then damaged in one chosen way. Offsets are those telemetry_abi.h pins with static_asserts."""
import os
import struct
import subprocess

import harness

OFF_MAGIC = 0
OFF_MAJOR = 8
OFF_PID = 24
OFF_START = 32
OFF_SECTIONS = 112
SLOTS_SECTION = 4  # HAK_SEG_SEC_SLOTS
N = 1000


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def template(seg_dir):
    """The bytes of exact_workload's segment after N blocks of 10240 bytes came and went."""
    w = harness.exact(seg_dir, N)
    w.advance("allocated")
    w.advance("alive")
    w.advance("exited")
    with open(w.segment, "rb") as f:
        data = f.read()
    w.finish()
    return data


def aimed(data, pid, start=None):
    b = bytearray(data)
    struct.pack_into("<i", b, OFF_PID, pid)
    struct.pack_into("<Q", b, OFF_START, start_time(pid) if start is None else start)
    return b


def victim():
    """A live process (not preloaded) whose pid a hand-made segment claims."""
    return harness.started(subprocess.Popen(["sleep", "600"]))


def section_field(index, field):
    return OFF_SECTIONS + 16 * index + {"offset": 0, "count": 8, "stride": 12}[field]


def write(path, data, mode=0o600):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.rename(tmp, path)
