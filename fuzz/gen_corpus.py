#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_ddi_sequence: the call sequences of the
unit tests (tests/test_mdl_*.c, test_probe_lock.c, test_partial_mdl.c,
test_pool*.c, test_storport.c, test_ndis.c, test_irql.c), encoded in the
fuzzer's input format (see fuzz_ddi_sequence.c and docs/reliability.md).

usage: gen_corpus.py OUTDIR"""
import os
import struct
import sys

(POOL_ALLOC, POOL_FREE, USER_ALLOC, USER_FREE, MDL_ALLOC, BUILD, PROBE, SYSADDR, MAP_AGAIN, UNMAP_SYS,
 MAP_USER, UNMAP_USER, PARTIAL, UNLOCK, FREE_MDL, WRITE, IRQL, PAGES_ALLOC, PAGES_MAP, PAGES_FREE,
 STOR_POOL, STOR_FREE, PORT_MDL, NDIS_MEM, NDIS_FREE) = range(25)


def w(v):
    return struct.pack('<H', v & 0xFFFF)


# Encoders, one per operation (argument layout as in fuzz_ddi_sequence.c).
def pool_alloc(api=0, typ=0, size=100, tag=0, raw=False):
    return bytes([POOL_ALLOC, (api & 3) | (typ << 2)]) + w(size if raw else size - 1) + bytes([tag])
def pool_free(n=0, how=0): return bytes([POOL_FREE, n, how])
def user_alloc(pages=1, prot=0, trim=0): return bytes([USER_ALLOC, (pages - 1) | (trim << 4), prot])
def user_free(n=0): return bytes([USER_FREE, n])
def mdl_alloc(n=0, off=0, length=1, irp=0): return bytes([MDL_ALLOC, n]) + w(off) + w(length - 1) + bytes([irp])
def build(n=0): return bytes([BUILD, n])
def probe(n=0, user=0, op=1): return bytes([PROBE, n, user | (op << 1)])
def sysaddr(n=0, pr=0): return bytes([SYSADDR, n, pr])
def map_again(n=0): return bytes([MAP_AGAIN, n])
def unmap_sys(n=0): return bytes([UNMAP_SYS, n])
def map_user(n=0): return bytes([MAP_USER, n])
def unmap_user(n=0): return bytes([UNMAP_USER, n])
def partial(n=0, off=0, length=1, bad=0): return bytes([PARTIAL, n]) + w(off) + w(length - 1) + bytes([bad])
def unlock(n=0): return bytes([UNLOCK, n])
def free_mdl(n=0): return bytes([FREE_MDL, n])
def write(n=0, alias=0, off=0, length=16, seed=0x5A, pages=0):
    return bytes([WRITE, pages, n, alias]) + w(off) + w(length - 1) + bytes([seed])
def irql(level): return bytes([IRQL, level])
def pages_alloc(n=0, size=8192, fl=0): return bytes([PAGES_ALLOC, n]) + w(size - 1) + bytes([fl])
def pages_map(n=0): return bytes([PAGES_MAP, n])
def pages_free(n=0, how=0): return bytes([PAGES_FREE, n, how])
def stor_pool(size=4096, tag=0): return bytes([STOR_POOL]) + w(size - 1) + bytes([tag])
def stor_free(n=0): return bytes([STOR_FREE, n])
def port_mdl(n=0, off=0, length=1, stor=0): return bytes([PORT_MDL, n]) + w(off) + w(length - 1) + bytes([stor])
def ndis_mem(size=2048, tag=1): return bytes([NDIS_MEM]) + w(size - 1) + bytes([tag])
def ndis_free(n=0): return bytes([NDIS_FREE, n])

SYS, USR, DIRECT = 0x1, 0x3, 0x5  # write aliases through MDL views

SEEDS = {
    # test_mdl_build.c: non-paged buffer, build, system address, data through it
    'mdl_build_nonpaged': pool_alloc(0, 1, 9000) + mdl_alloc(0, 100, 8000) + build(0) + sysaddr(0) +
        write(0, SYS, 10, 500) + write(0, DIRECT, 4000, 300) + free_mdl(0) + pool_free(0),
    # test_probe_lock.c: user buffer locked for write, mapped twice
    'probe_user_rw': user_alloc(3) + mdl_alloc(0, 0x123, 9000) + probe(0, 1, 1) + sysaddr(0) + map_user(0) +
        write(0, USR, 0, 1000) + write(0, SYS, 2000, 900) + write(0, 0, 5, 100) + unmap_user(0) + unlock(0) +
        free_mdl(0) + user_free(0),
    'probe_user_readonly_write': user_alloc(2, 2) + mdl_alloc(0, 0, 5000) + probe(0, 1, 1) + probe(0, 1, 0) +
        sysaddr(0) + write(0, SYS, 0, 64) + unlock(0) + free_mdl(0),
    'probe_user_noaccess': user_alloc(1, 3) + mdl_alloc(0, 0, 100) + probe(0, 0, 0) + free_mdl(0),
    'probe_kernel_pool_usermode': pool_alloc(0, 0, 3000) + mdl_alloc(0, 0, 3000) + probe(0, 1, 0) + probe(0, 0, 2),
    'double_unlock_user': user_alloc(1) + mdl_alloc(0, 0, 4096) + probe(0, 0, 0) + unlock(0) + unlock(0),
    'double_unlock_pool': pool_alloc(0, 2, 6000) + mdl_alloc(0, 0, 6000) + probe(0, 0, 1) + unlock(0) + unlock(0),
    'unlock_never_locked': pool_alloc() + mdl_alloc(0, 0, 50) + unlock(0),
    'unlock_built': pool_alloc() + mdl_alloc(0, 0, 50) + build(0) + unlock(0) + probe(0),
    'free_locked_mapped': user_alloc(2) + mdl_alloc(0, 0, 8192) + probe(0) + sysaddr(0) + free_mdl(0) +
        unmap_sys(0) + free_mdl(0) + unmap_sys(0),
    'map_twice': user_alloc(1) + mdl_alloc(0, 0, 4096) + probe(0) + map_again(0) + map_again(0) + sysaddr(0),
    # test_partial_mdl.c
    'partial_of_mapped': user_alloc(4) + mdl_alloc(0, 0, 16000) + probe(0) + sysaddr(0) +
        partial(0, 5000, 3000) + sysaddr(1) + write(1, SYS, 0, 700) + free_mdl(1) + unlock(0),
    'partial_own_mapping': pool_alloc(0, 2, 20000) + mdl_alloc(0, 0, 20000) + probe(0) + partial(0, 4096, 9000) +
        sysaddr(1) + write(0, 0x9, 0, 256) + unmap_sys(1) + sysaddr(1) + partial(0, 100, 100, 7) + unlock(1),
    'partial_of_built': pool_alloc(0, 1, 2000) + mdl_alloc(0, 0, 2000) + build(0) + partial(0, 10, 500) +
        sysaddr(1) + probe(1) + unlock(1) + unmap_sys(1),
    # test_pool.c / test_pool_checks.c
    'pool_types': pool_alloc(0, 0, 16) + pool_alloc(1, 2, 5000) + pool_alloc(2, 3, 64) + pool_alloc(3, 4, 4096) +
        pool_alloc(1, 1, 1) + pool_free(0) + pool_free(1, 1) + pool_free(0, 4) + pool_free(1),
    'pool_misuse': pool_alloc(0, 0, 40) + pool_free(0, 2) + pool_free(0, 3) + pool_alloc(0, 0, 0, raw=True),
    'pool_irql': irql(2) + pool_alloc(0, 2, 100) + pool_alloc(0, 0, 100) + irql(0) + pool_alloc(0, 2, 64) +
        irql(2) + pool_free(1) + irql(1) + pool_free(1),
    # test_mdl_pages.c
    'pages': pages_alloc(0, 3 * 4096) + pages_map(0) + write(0, 1, 100, 900, pages=1) + write(0, 0, 5000, 90, pages=1)
        + pages_free(0, 3) + pages_map(0) + pages_free(0, 1),
    'pages_flags': pages_alloc(0, 5000, 1) + pages_alloc(1, 40000, 2) + pages_alloc(2, 8192, 3) + pages_map(2) +
        pages_free(1) + irql(2) + pages_alloc(1, 100, 4) + pages_free(1),
    # test_storport.c / test_ndis.c
    'storport': stor_pool(8000) + port_mdl(0, 100, 5000, 1) + sysaddr(0) + write(0, DIRECT, 0, 100) + free_mdl(0) +
        stor_free(0) + stor_pool(10, 0xF0),
    'ndis': ndis_mem(3000) + port_mdl(0, 0, 3000, 0) + partial(0, 100, 2000) + sysaddr(1) + write(0, 0x9, 0, 64) +
        free_mdl(1) + free_mdl(0) + ndis_free(0),
    # test_irql.c / test_verifier_irql.c shapes: pageable memory at DISPATCH_LEVEL
    'dispatch_probe': user_alloc(1) + pool_alloc(0, 2, 300) + mdl_alloc(0, 0, 100) + mdl_alloc(1, 0, 100) +
        irql(2) + probe(0) + probe(1) + map_user(0) + irql(0) + probe(0) + map_user(0) + irql(2) + unmap_user(0),
    'irp_mdl': pool_alloc(0, 0, 5000) + mdl_alloc(0, 7, 4000, 1) + build(0) + map_user(0) + write(0, USR, 0, 8),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus', 'fuzz_ddi_sequence')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'gen_corpus.py: {len(SEEDS)} seeds in {out}')


if __name__ == '__main__':
    main()
