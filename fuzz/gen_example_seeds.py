#!/usr/bin/env python3
"""Writes the seed inputs of the example-driver fuzzers (fuzz_ioctl,
fuzz_netrecv, fuzz_ramdisk: fuzz/corpus/<target>/) and of the planted-bug
fuzzer (planted_fuzzer: fuzz/corpus/planted/). Each seed is one well-formed
request sequence in the target's input format (see the comment at the top
of each fuzz_*.c), for a run without input-chosen faults; a campaign with
MDLKIT_FUZZ_FAULTS=1 takes the same seeds with a leading fault byte
(written to <dir>-faults/).

Usage: gen_example_seeds.py [FUZZ_DIR]   (default: the directory of this script)
"""
import os
import struct
import sys

PAGE = 4096


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def rng(value, lo, hi):
    """The bytes mdlkit_fuzz_range(lo, hi) reads to produce value."""
    span = hi - lo
    n = (span.bit_length() + 7) // 8
    return (value - lo).to_bytes(n, "little")


# ---- fuzz_ioctl ------------------------------------------------------------
IOCTL_MAX = 3 * PAGE


def ioctl_req(choice, in_len, out_len, kind, offset, data=b"", raw_code=None):
    b = u8(choice)
    if choice % 4 == 3:
        b += u32(raw_code or 0)
    b += rng(in_len, 0, IOCTL_MAX) + rng(out_len, 0, IOCTL_MAX) + u8(kind) + rng(offset, 0, PAGE - 1)
    if kind in (0, 1):
        b += data[:in_len]
    return b


def ioctl_seeds():
    fill = u32(0x1234) + u32(0)
    pat = bytes((i * 7) & 0xFF for i in range(300))
    return {
        "fill_host": ioctl_req(0, 8, 4096, 0, 0, fill),
        "fill_user_cross_page": ioctl_req(0, 8, 8000, 1, 4000, fill),
        "checksum_user": ioctl_req(1, 300, 0, 1, 100, pat),
        "checksum_readonly": ioctl_req(1, 64, 0, 2, 0),
        "fill_as_buffered": ioctl_req(2 | (0 << 2) | (0 << 3), 8, 512, 0, 0, fill),
        "checksum_as_in_direct": ioctl_req(2 | (1 << 2) | (1 << 3), 200, 200, 1, 7, pat),
        "no_buffers": ioctl_req(0, 8, 4096, 3, 0) + ioctl_req(1, 16, 0, 3, 0),
        "raw_code": ioctl_req(3, 4, 4, 0, 0, b"abcd", raw_code=0x22200C),
        "two_requests": ioctl_req(0, 8, 100, 1, 4090, fill) + ioctl_req(1, 100, 0, 1, 4090, pat),
    }


# ---- fuzz_netrecv ------------------------------------------------------------
STATION = bytes([0x02, 0x4D, 0x44, 0x4C, 0x4B, 0x01])


def frame(length, flags=7, field=None, checksum=None, dst=STATION):
    body = dst + bytes([0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00])
    body += bytes((i * 13 + 5) & 0xFF for i in range(max(0, length - len(body))))
    body = body[:length]
    b = u8(flags) + rng(length, 0, 2048)
    if not flags & 4:
        b += u16(field if field is not None else length)
    b += body
    if not flags & 2:
        b += u32(checksum or 0)
    return b


def netrecv_seeds():
    return {
        "one_min_frame": frame(60),
        "one_max_frame": frame(1514),
        "broadcast": frame(100, flags=6, dst=b"\xff" * 6),
        "burst": b"".join(frame(60 + 37 * i) for i in range(12)),
        "bad_checksum": frame(200, flags=5, checksum=0xBEEF),
        "long_field": frame(300, flags=3, field=1600),
        "other_station": frame(64, flags=6, dst=b"\x02\x00\x00\x00\x00\x09"),
        "ring_wrap": b"".join(frame(64) for _ in range(70)),
    }


# ---- fuzz_ramdisk ------------------------------------------------------------
RD_MAX = 128 * 1024 + 2 * 512


def srb(function_idx, flags_idx, cdb_idx, op, cdb_rest, length, kind, offset, data=b""):
    b = u8(function_idx) + u8(flags_idx) + u8(cdb_idx) + u8(op)
    b += (cdb_rest + bytes(15))[:15]
    b += rng(length, 0, RD_MAX) + u8(kind) + rng(offset, 0, PAGE - 1)
    if flags_idx % 4 in (1, 3) and length:
        b += data[: min(length, 512)]
    return b


def rw10(write, lba, sectors):
    # Cdb[1..9] after the opcode: flags, LBA (4 bytes, big-endian), group, length (2), control
    return bytes([0]) + struct.pack(">I", lba) + bytes([0]) + struct.pack(">H", sectors) + bytes([0])


def ramdisk_seeds():
    READ, WRITE, TUR, INQ, CAP = 0, 1, 2, 3, 4  # opcode choice indexes (op % 7)
    data = bytes((i * 3 + 1) & 0xFF for i in range(512))
    return {
        "read_8_sectors": srb(0, 0, 0, READ, rw10(False, 16, 8), 4096, 1, 0),
        "write_1_sector": srb(0, 1, 0, WRITE, rw10(True, 0, 1), 512, 1, 0, data),
        "write_pool_cross_chunk": srb(0, 1, 0, WRITE, rw10(True, 127, 2), 1024, 0, 0, data),
        "read_past_end": srb(0, 0, 0, READ, rw10(False, 4095, 4), 2048, 1, 100),
        "test_unit_ready": srb(0, 2, 1, TUR, b"", 0, 0, 0),
        "inquiry": srb(0, 0, 1, INQ, bytes([0, 0, 0, 36, 0]), 36, 0, 0),
        "read_capacity": srb(0, 0, 0, CAP, b"", 8, 0, 0),
        "flush": srb(3, 2, 0, 0, b"", 0, 0, 0),
        "write_then_read": srb(0, 1, 0, WRITE, rw10(True, 8, 1), 512, 1, 10, data)
        + srb(0, 0, 0, READ, rw10(False, 8, 1), 512, 1, 10),
    }


# ---- planted_fuzzer (fuzz/planted.c) -------------------------------------------
def planted_seeds():
    # operation byte, u16 length, payload; each planted bug is a small step away
    return {
        "copy": b"C" + u16(32) + bytes(range(32)),
        "copy_small": b"C" + u16(8) + b"12345678",
        "view": b"V" + u16(64) + bytes(64),
        "pair": b"P" + u16(0) + bytes([5]),
        "stash": b"S" + u16(0) + bytes(24),
        "link": b"L" + u16(0),
    }


def write(dirname, seeds, prefix=b""):
    os.makedirs(dirname, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(dirname, name), "wb") as f:
            f.write(prefix + data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    corpus = os.path.join(root, "corpus")
    for target, seeds in (
        ("fuzz_ioctl", ioctl_seeds()),
        ("fuzz_netrecv", netrecv_seeds()),
        ("fuzz_ramdisk", ramdisk_seeds()),
        ("planted", planted_seeds()),
    ):
        write(os.path.join(corpus, target), seeds)
        write(os.path.join(corpus, target + "-faults"), seeds, prefix=b"\x00")
    # Error paths a faults campaign has already walked: the link operation
    # with each of the first calls of its input failed (the I/O manager's
    # own, then the driver's first allocation).
    for n in range(1, 5):
        with open(os.path.join(corpus, "planted-faults", "link_fail_%d" % n), "wb") as f:
            f.write(bytes([n]) + planted_seeds()["link"])


if __name__ == "__main__":
    main()
